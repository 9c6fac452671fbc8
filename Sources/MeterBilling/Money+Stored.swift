import MeterCore
public import MeterPlans
import MeterPostgres

extension Money {
    /// A signed amount as PostgreSQL prints an invoice's `numeric` (credits are negative;
    /// `Money.init(_:)` refuses negatives, as prices never are); nil when it does not fit.
    init?(storedAmount text: String) {
        guard let sum = QuantitySum(decimal: text), let micros = Int64(exactly: sum.units) else { return nil }
        self.init(micros: micros)
    }
}
