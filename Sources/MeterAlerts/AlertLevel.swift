/// A threshold level: the percentage of the included quota whose crossing fires an alert.
public enum AlertLevel: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case warning80 = 80
    case warning90 = 90
    case exhausted100 = 100

    public static func < (lhs: AlertLevel, rhs: AlertLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
