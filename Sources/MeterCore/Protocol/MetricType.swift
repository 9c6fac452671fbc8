/// The StatsD types that mean something on a bill.
public enum MetricType: UInt8, Sendable, Hashable, CaseIterable {
    /// `c`: billed as the sum of its values.
    case counter = 1
    /// `g`: latest, min, max and a time-weighted integral (e.g. storage GB-hours).
    case gauge = 2
    /// `s`: exact count of distinct members per bucket (e.g. active providers).
    case set = 3

    /// The single letter used on the wire.
    public var wireLetter: Character {
        switch self {
        case .counter: "c"
        case .gauge: "g"
        case .set: "s"
        }
    }
}
