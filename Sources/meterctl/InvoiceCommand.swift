import ArgumentParser
import MeterBilling
import MeterCore
import MeterPlans
import MeterPostgres

#if canImport(Glibc)
import Glibc
#endif

/// `meterctl invoice ...`: read invoices, and record what happens to them after a run
/// (docs/billing.md "Invoices"). Works on PostgreSQL directly.
struct InvoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice",
        abstract: "List, show, finalize, pay, void and credit invoices (docs/billing.md).",
        subcommands: [List.self, ShowInvoice.self, Finalize.self, Pay.self, Void.self, Credit.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List invoices, newest period first.")
        @OptionGroup var postgres: PostgresOptions
        @Option(help: "Only this tenant.") var tenant: String?
        @Option(help: "Only this status: draft, finalized, paid or void.") var status: String?
        @Option(help: "At most this many (1...10000).") var limit = 100
        @Flag(help: "Print a JSON array (without lines) instead of text.") var json = false

        func run() throws {
            let wanted = try status.map { text in
                guard let value = Invoice.Status(rawValue: text) else { throw ValidationError("--status must be draft, finalized, paid or void") }
                return value
            }
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1...10000") }
            let invoices = try InvoiceStore(connection: try postgres.connect()).list(tenant: tenant, status: wanted, limit: limit)
            if json { return print(InvoiceJSON.renderList(invoices)) }
            for invoice in invoices {
                print("\(invoice.number ?? "#\(invoice.id)")\t\(invoice.status.rawValue)\t\(invoice.tenant)\t"
                      + "\(CivilTime(unixSeconds: invoice.periodStart)) to \(CivilTime(unixSeconds: invoice.periodEnd))\t\(invoice.total) \(invoice.currency)")
            }
        }
    }

    struct Finalize: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Finalize a draft: it gets the next number of its prefix.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "Invoice id.") var invoice: String
        @Option(help: "When: ISO 8601 UTC, a date or Unix seconds (default: now).") var at: String?
        @Option(help: "Days from finalization to the due date.") var paymentTermsDays = BillingLimits.defaultPaymentTermsDays

        func run() throws {
            let done = try refusing { try InvoiceStore(connection: try postgres.connect())
                .finalize(invoice, at: try InstantArgument.seconds(at), paymentTermsDays: paymentTermsDays) }
            print("\(done.number ?? invoice) finalized, total \(done.total) \(done.currency)")
        }
    }

    struct Pay: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that a finalized invoice was paid.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "Invoice number or id.") var invoice: String
        @Option(help: "When: ISO 8601 UTC, a date or Unix seconds (default: now).") var at: String?

        func run() throws {
            let done = try refusing { try InvoiceStore(connection: try postgres.connect()).markPaid(invoice, at: try InstantArgument.seconds(at)) }
            print("\(done.number ?? invoice) paid")
        }
    }

    struct Void: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Void a finalized, unpaid invoice (its number is kept, never reused).")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "Invoice number or id.") var invoice: String
        @Option(help: "Why (kept with the invoice).") var reason: String
        @Option(help: "When: ISO 8601 UTC, a date or Unix seconds (default: now).") var at: String?

        func run() throws {
            let done = try refusing {
                try InvoiceStore(connection: try postgres.connect()).void(invoice, reason: reason, at: try InstantArgument.seconds(at))
            }
            print("\(done.number ?? invoice) void")
        }
    }

    struct Credit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a credit note against a finalized or paid invoice.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "Invoice number or id.") var invoice: String
        @Option(help: "Amount to credit, at most what is left of the invoice's total.") var amount: String
        @Option(help: "Why (printed on the credit note).") var reason: String
        @Option(help: "When: ISO 8601 UTC, a date or Unix seconds (default: now).") var at: String?

        func run() throws {
            guard let money = Money(amount), money.micros > 0 else { throw ValidationError("--amount must be a decimal above 0") }
            let note = try refusing {
                try InvoiceStore(connection: try postgres.connect()).credit(invoice, amount: money, reason: reason, at: try InstantArgument.seconds(at))
            }
            print("credit note \(note.number) for \(note.invoiceNumber): \(note.amount)")
        }
    }
}

/// Runs `body`; a refusal (not found, wrong status, too much credit) is one line on stderr and exit 1.
func refusing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as InvoiceStore.StoreError {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// `meterctl invoice show NUMBER`: one invoice for people (text), programs (JSON) or print (HTML).
struct ShowInvoice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show an invoice with its lines, totals, credit notes and usage sources.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    @OptionGroup var postgres: PostgresOptions
    @Argument(help: "Invoice number or id.") var invoice: String
    @Option(help: "text, json or html.") var format: Format = .text
    @Option(help: "Write to this file instead of standard output.") var output: String?
    @Option(help: "HTML: the issuer's name.") var issuerName = InvoiceIssuer.meterd.name
    @Option(help: "HTML: an address line of the issuer (repeatable).") var issuerAddress: [String] = []
    @Option(help: "HTML: the issuer's e-mail.") var issuerEmail: String?
    @Option(help: "HTML: the issuer's tax id.") var issuerTaxID: String?

    func run() throws {
        let store = InvoiceStore(connection: try postgres.connect())
        let found = try refusing { try store.invoice(invoice) }
        let notes = try store.creditNotes(of: found.id)
        let text = switch format {
        case .text: InvoiceText.render(found, creditNotes: notes)
        case .json: InvoiceJSON.render(found, creditNotes: notes)
        case .html: InvoiceHTML.render(found, issuer: InvoiceIssuer(name: issuerName, addressLines: issuerAddress, email: issuerEmail,
                                                                      taxID: issuerTaxID), creditNotes: notes)
        }
        guard let output else { return print(text, terminator: text.hasSuffix("\n") ? "" : "\n") }
        guard let file = fopen(output, "w") else {
            printError("cannot write \(output): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        defer { fclose(file) }
        fputs(text, file)
    }
}
