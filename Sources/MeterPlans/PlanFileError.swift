/// Why a plans file cannot be used: every problem found, each with the file and line.
public struct PlanFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        /// 1-based; nil for the file as a whole.
        public var line: Int?
        public var message: String

        public var description: String {
            "plans file \(path)\(line.map { ", line \($0)" } ?? ""): \(message)"
        }
    }

    public var problems: [Problem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
