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
    ],
    targets: [
        // The pure engine: line protocol, exact quantities, sharded ring, aggregation. No sockets, no I/O.
        .target(name: "MeterCore", swiftSettings: swiftSettings),
        .testTarget(name: "MeterCoreTests", dependencies: ["MeterCore"], swiftSettings: swiftSettings),

        // libpq, the PostgreSQL C client library, as a system library (Debian: libpq-dev).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // The PostgreSQL adapter: libpq wrapper, schema migrations, rollup writer, flush retry policy.
        .target(name: "MeterPostgres", dependencies: ["CLibPQ", "MeterCore"], swiftSettings: swiftSettings),
        // Integration tests against a real PostgreSQL (METERD_TEST_POSTGRES_URL, set by scripts/test.sh).
        .testTarget(name: "MeterPostgresTests", dependencies: ["MeterPostgres", "MeterCore"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
