import Foundation
public import MeterCore
import Yams

/// The tax rate table as a file (`config/tax-rates.yaml`, docs/billing.md "Discounts and tax"):
/// `meterctl billing tax-rates load FILE` replaces `meterd.tax_rates` with it.
///
/// ```yaml
/// rates:
///   US-CA: {name: Sales tax, percent: 7.25}
///   DE: {name: VAT, percent: 19}
/// ```
public enum TaxRateFile {
    public struct Problem: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// At most this many regions (a rate table, not a tax engine).
    public static let maxRegions = 1000

    /// Reads and checks the file at `path`.
    public static func load(path: String) throws(Problem) -> [TaxRate] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Problem(message: "tax rate file \(path) cannot be read: \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(Problem) -> [TaxRate] {
        func fail(_ node: Node?, _ message: String) -> Problem {
            Problem(message: "tax rate file \(path)\(node?.mark.map { ", line \($0.line)" } ?? ""): \(message)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw fail(nil, "is not valid YAML: \(error)") }
        guard let root, case .mapping(let top) = root else { throw fail(root, "must be a mapping with 'rates'") }
        for key in top.keys where key.scalar?.string != "rates" { throw fail(key, "unknown key '\(key.scalar?.string ?? "")' (known: rates)") }
        guard let ratesNode = top["rates"], case .mapping(let rates) = ratesNode else { throw fail(root, "'rates' must be a mapping of region: {name, percent}") }
        guard rates.count <= maxRegions else { throw fail(ratesNode, "has \(rates.count) regions, more than \(maxRegions)") }
        var result: [TaxRate] = []
        var seen: Set<String> = []
        for (key, value) in rates {
            guard let region = key.scalar?.string else { throw fail(key, "a region must be a single value") }
            guard isRegion(region) else { throw fail(key, "region '\(region)' must be an ISO 3166 code such as DE or US-CA") }
            guard seen.insert(region).inserted else { throw fail(key, "region '\(region)' is given twice") }
            guard case .mapping(let fields) = value else { throw fail(value, "region \(region) must be {name: ..., percent: ...}") }
            for field in fields.keys where !["name", "percent"].contains(field.scalar?.string ?? "") {
                throw fail(field, "region \(region): unknown key '\(field.scalar?.string ?? "")' (known: name, percent)")
            }
            guard let name = fields["name"]?.scalar?.string, (1...64).contains(name.utf8.count) else {
                throw fail(value, "region \(region): 'name' (1 to 64 bytes, e.g. VAT) is required")
            }
            guard let text = fields["percent"]?.scalar?.string, let percent = Quantity(text), percent >= .zero, percent < Quantity(whole: 100)! else {
                throw fail(fields["percent"] ?? value, "region \(region): 'percent' must be a decimal from 0 to below 100 (at most 6 fractional digits)")
            }
            result.append(TaxRate(region: region, name: name, percent: percent))
        }
        return result.sorted { $0.region < $1.region }
    }

    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].count == 2, parts[0].allSatisfy({ $0.isASCII && $0.isUppercase }) else { return false }
        guard parts.count == 2 else { return true }
        return (1...3).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }
}
