import ArgumentParser
import MeterPlans

/// `meterctl plans check FILE`: checks a plans file as meterd will (docs/plans.md), so an
/// operator can validate an edit before `systemctl reload meterd`.
struct Plans: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with plan catalogs (docs/plans.md).",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a plans file; print its plans, or every problem with its line (exit 1).")

        @Argument(help: "The plans file, e.g. config/plans.yaml.")
        var file: String

        func run() throws {
            let catalog: PlanCatalog
            do {
                catalog = try PlanFile.load(path: file)
            } catch {
                for problem in error.problems { printError(problem.description) }
                throw ExitCode(1)
            }
            print("\(file): \(catalog.plans.count) plans, prices in \(catalog.currency)")
            for id in catalog.ids {
                guard let plan = catalog[id] else { continue }
                let price = switch plan.pricing {
                case .list(let monthly, let annual): "\(monthly)/month, \(annual)/year"
                case .contract: "contract"
                }
                print("\(id) (\(plan.name)): \(price)")
                for metric in plan.metrics.keys.sorted() {
                    guard let terms = plan.metrics[metric] else { continue }
                    let overage = switch terms.overage {
                    case nil: ""
                    case .perUnit(let price)?: ", overage \(price) per unit"
                    case let rate?: ", overage \(rate)"
                    }
                    print("  \(metric): \(terms.included) included\(overage)")
                }
                if !plan.features.isEmpty { print("  features: \(plan.features.sorted().joined(separator: ", "))") }
            }
        }
    }
}
