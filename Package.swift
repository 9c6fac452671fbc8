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
    ],
    swiftLanguageModes: [.v6]
)
