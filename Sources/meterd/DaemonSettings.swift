import ArgumentParser
import Logging
import MeterIngest

/// The validated command line, in the types the services take.
struct DaemonSettings: Sendable {
    var udp: ListenAddress
    var tcp: ListenAddress
    var http: ListenAddress
    var unixPath: String?
    var dataDir: String?
    var flushInterval: Duration
    var postgresURL: String?
    var redisURL: String?

    /// - Precondition: `options` passed `validate()`.
    init(options: DaemonOptions) {
        func address(_ text: String) -> ListenAddress {
            guard case .success(let address) = ListenAddress.parse(text) else { preconditionFailure("validated") }
            return address
        }
        udp = address(options.udp)
        tcp = address(options.tcp)
        http = address(options.http)
        unixPath = options.unix
        dataDir = options.dataDir
        flushInterval = .milliseconds(Int64((options.flushInterval * 1000).rounded()))
        postgresURL = options.postgres
        redisURL = options.redis
    }
}

extension DaemonOptions {
    var parsedLogLevel: Logger.Level? { Logger.Level(rawValue: logLevel) }
}
