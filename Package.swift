// swift-tools-version: 6.1
import PackageDescription

/// One settings list for every target, so the whole package is held to the same rules.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableExperimentalFeature("StrictConcurrency"),
]

let package = Package(
    name: "meterd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MeterCore", targets: ["MeterCore"]),
        .library(name: "MeterPostgres", targets: ["MeterPostgres"]),
        .library(name: "MeterWAL", targets: ["MeterWAL"]),
        .library(name: "MeterPlans", targets: ["MeterPlans"]),
        .library(name: "MeterBilling", targets: ["MeterBilling"]),
        .executable(name: "meterd", targets: ["meterd"]),
        .executable(name: "meterctl", targets: ["meterctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        // Configuration file (YAML), environment and flags for meterd (MeterConfig).
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Threshold alerts only (MeterAlerts): the webhook's HTTP(S) client and its HMAC-SHA256.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // The pure engine: line protocol, exact quantities, sharded ring, aggregation. No sockets, no I/O.
        .target(name: "MeterCore", swiftSettings: swiftSettings),
        .testTarget(name: "MeterCoreTests", dependencies: ["MeterCore"], swiftSettings: swiftSettings),

        // Plans and subscriptions: the catalog (plans file), billing periods, quota lookups (docs/plans.md).
        .target(name: "MeterPlans", dependencies: ["MeterCore", .product(name: "Yams", package: "Yams")],
                swiftSettings: swiftSettings),
        .testTarget(name: "MeterPlansTests", dependencies: ["MeterPlans", "MeterCore"], swiftSettings: swiftSettings),

        // Billing: subscription lifecycle, invoices from the rollups, billing runs (docs/billing.md).
        .target(name: "MeterBilling", dependencies: ["MeterCore", "MeterPlans", "MeterPostgres", .product(name: "Yams", package: "Yams")],
                swiftSettings: swiftSettings),
        .testTarget(name: "MeterBillingTests", dependencies: ["MeterBilling", "MeterPlans", "MeterCore", "MeterPostgres"],
                    swiftSettings: swiftSettings),

        // Redis adapter: hiredis wrapper and the live-counter mirror's key layout.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "MeterRedis", dependencies: ["CHiredis", "MeterCore"], swiftSettings: swiftSettings),
        .testTarget(name: "MeterRedisTests", dependencies: ["MeterRedis", "MeterCore"], swiftSettings: swiftSettings),

        // systemd adapter: sd_notify, watchdog, socket activation.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "MeterSystemd", dependencies: ["CSystemd"], swiftSettings: swiftSettings),
        .testTarget(name: "MeterSystemdTests", dependencies: ["MeterSystemd"], swiftSettings: swiftSettings),

        // UDP, TCP and Unix listeners (SwiftNIO), shard aggregation threads, the flusher and its sink seam.
        .target(
            name: "MeterIngest",
            dependencies: [
                "MeterCore",
                "MeterWAL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // A small HTTP/1 server: /metrics, /healthz, /readyz, /debug/rollups.
        .target(
            name: "MeterHTTP",
            dependencies: [
                "MeterCore",
                "MeterIngest",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MeterHTTPTests", dependencies: ["MeterHTTP", "MeterIngest", "MeterCore"], swiftSettings: swiftSettings),

        // meterd's settings: every key, its defaults, and loading them from a YAML file, the
        // environment (METERD_*) and flags, with errors naming the key and where it came from.
        .target(
            name: "MeterConfig",
            dependencies: [
                "MeterCore",
                "MeterWAL",
                "MeterIngest",
                "MeterPostgres",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MeterConfigTests",
            dependencies: [
                "MeterConfig", "MeterCore", "MeterIngest", "MeterPostgres",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The daemon: flags, logging and metrics bootstrap, ServiceGroup.
        .executableTarget(
            name: "meterd",
            dependencies: [
                "MeterCore",
                "MeterIngest",
                "MeterHTTP",
                "MeterConfig",
                "MeterPostgres",
                "MeterSystemd",
                "MeterRedis",
                "MeterWAL",
                "MeterPlans",
                "MeterQuota",
                "MeterAlerts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tests of the listeners, backpressure and flusher, in process.
        .testTarget(name: "MeterIngestTests", dependencies: ["MeterIngest", "MeterCore", "MeterWAL"], swiftSettings: swiftSettings),

        // Starts the built meterd binary (the dependency makes `swift build --build-tests` build it).
        .testTarget(name: "MeterdEndToEndTests", dependencies: ["meterd", "meterctl", "MeterPostgres", "MeterRedis", "MeterPlans",
                                                              "MeterTestSupport", "MeterAlerts", "MeterBilling", "MeterCore"], swiftSettings: swiftSettings),
        // Test helpers shared by several test targets (a webhook receiver).
        .target(name: "MeterTestSupport", dependencies: [
            "MeterAlerts",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Tests/MeterTestSupport", swiftSettings: swiftSettings),

        // libpq, the PostgreSQL C client library, as a system library (Debian: libpq-dev).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // The PostgreSQL adapter: libpq wrapper, schema migrations, rollup writer, checkpointed flush writer.
        .target(name: "MeterPostgres", dependencies: ["CLibPQ", "MeterCore", "MeterPlans"], swiftSettings: swiftSettings),
        // Integration tests against a real PostgreSQL (METERD_TEST_POSTGRES_URL, set by scripts/test.sh).
        .testTarget(name: "MeterPostgresTests", dependencies: ["MeterPostgres", "MeterCore", "MeterPlans"], swiftSettings: swiftSettings),

        // The write-ahead log: checksummed segment files, group commit, recovery, release (docs/wal.md).
        // CMeterCRC32C is its CRC32C on the CPU's instruction (SSE4.2), with a Swift fallback.
        .target(name: "CMeterCRC32C"),
        .target(name: "MeterWAL", dependencies: ["CMeterCRC32C"], swiftSettings: swiftSettings),
        .testTarget(name: "MeterWALTests", dependencies: ["MeterWAL", "wal-crash-writer"], swiftSettings: swiftSettings),
        // Test helper for the crash test (appends until SIGKILL); the dependency above builds it.
        .executableTarget(name: "wal-crash-writer", dependencies: ["MeterWAL"], path: "Tests/WALCrashWriter",
                          swiftSettings: swiftSettings),

        // Threshold alerts from "a level was crossed" to "delivered": the alert and its signed JSON,
        // the exactly-once record and outbox in PostgreSQL, and the webhook, Redis and NOTIFY sinks
        // (docs/alerts.md).
        .target(
            name: "MeterAlerts",
            dependencies: [
                "MeterCore",
                "MeterPostgres",
                "MeterRedis",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MeterAlertsTests",
            dependencies: [
                "MeterAlerts", "MeterCore", "MeterPostgres", "MeterRedis", "MeterTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // meterctl: `send` lines and `load` (a bounded load generator) over UDP, TCP or Unix sockets.
        // MeterctlKit holds its sockets, datagram packing, pacing and line pool (unit-tested).
        // Live per-period usage, threshold evaluation and entitlement checks (docs/quotas.md).
        .target(name: "MeterQuota", dependencies: ["MeterCore", "MeterPlans", "MeterAlerts"], swiftSettings: swiftSettings),
        .testTarget(name: "MeterQuotaTests", dependencies: ["MeterQuota", "MeterCore", "MeterPlans", "MeterAlerts"],
                    swiftSettings: swiftSettings),
        .target(name: "MeterctlKit", dependencies: ["MeterCore"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "meterctl",
            dependencies: ["MeterctlKit", "MeterCore", "MeterPlans", "MeterBilling", "MeterPostgres", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MeterctlTests", dependencies: ["MeterctlKit", "MeterCore"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
