/// A count per `RefusalReason`, in a fixed array allocated once, so counting a refusal never allocates.
public struct RefusalCounts: Sendable, Hashable {
    @usableFromInline var counts: [Int]

    public init() {
        counts = Array(repeating: 0, count: Int(RefusalReason.allCases.map(\.rawValue).max()!) + 1)
    }

    @inlinable
    public subscript(reason: RefusalReason) -> Int {
        get { counts[Int(reason.rawValue)] }
        set { counts[Int(reason.rawValue)] = newValue }
    }

    /// All refusals, whatever the reason.
    public var total: Int { counts.reduce(0, +) }

    /// The reasons with a non-zero count.
    public var nonZero: [(reason: RefusalReason, count: Int)] {
        RefusalReason.allCases.compactMap { self[$0] == 0 ? nil : ($0, self[$0]) }
    }
}
