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
    ],
    targets: [
        // The pure engine: line protocol, exact quantities, sharded ring, aggregation. No sockets, no I/O.
        .target(name: "MeterCore", swiftSettings: swiftSettings),
        .testTarget(name: "MeterCoreTests", dependencies: ["MeterCore"], swiftSettings: swiftSettings),

        // Redis adapter: hiredis wrapper and the live-counter mirror's key layout.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "MeterRedis", dependencies: ["CHiredis", "MeterCore"], swiftSettings: swiftSettings),
        .testTarget(name: "MeterRedisTests", dependencies: ["MeterRedis", "MeterCore"], swiftSettings: swiftSettings),

        // systemd adapter: sd_notify, watchdog, socket activation.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "MeterSystemd", dependencies: ["CSystemd"], swiftSettings: swiftSettings),
        .testTarget(name: "MeterSystemdTests", dependencies: ["MeterSystemd"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
