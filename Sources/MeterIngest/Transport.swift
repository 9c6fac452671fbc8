/// How lines reached the daemon; the `transport` label of the ingest metrics.
public enum Transport: Int, Sendable, Hashable, CaseIterable {
    case udp, tcp, unix, http

    public var label: String {
        switch self {
        case .udp: "udp"
        case .tcp: "tcp"
        case .unix: "unix"
        case .http: "http"
        }
    }
}
