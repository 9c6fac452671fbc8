import MeterAlerts
import MeterCore

/// The alert levels a usage has reached against a quota: level L is reached once
/// `used >= L% of quota` (exact: `used x 100 >= L x quota` in integer units). A quota of zero
/// is reached by any use above zero.
enum ThresholdLevels {
    static func reached(used: QuantitySum, quota: Quantity) -> [AlertLevel] {
        if quota.units <= 0 {
            return used.units > 0 ? AlertLevel.allCases : []
        }
        let scaledUsed = used.units.multipliedReportingOverflow(by: 100)
        return AlertLevel.allCases.filter { level in
            // An overflow means far beyond any level.
            scaledUsed.overflow || scaledUsed.partialValue >= Int128(level.rawValue) * Int128(quota.units)
        }
    }
}
