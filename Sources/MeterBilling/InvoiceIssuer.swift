/// Who issues the invoice, as printed at the top of the HTML invoice.
public struct InvoiceIssuer: Sendable, Hashable {
    public var name: String
    /// Postal address, one line each.
    public var addressLines: [String]
    public var email: String?
    /// VAT or other tax registration number.
    public var taxID: String?

    public init(name: String, addressLines: [String] = [], email: String? = nil, taxID: String? = nil) {
        self.name = name
        self.addressLines = addressLines
        self.email = email
        self.taxID = taxID
    }

    /// The issuer when none is configured: just the name.
    public static let meterd = InvoiceIssuer(name: "meterd")
}
