// swift-tools-version: 6.1
import PackageDescription

// The benchmark suite is its own package so that ordo-one/benchmark (and the malloc interposer
// it links into every benchmark executable) never becomes a dependency of the daemon.
// Run it with `Benchmarks/run.sh`; see docs/benchmarks.md.

/// The root package's settings, so benchmark code is held to the same rules as the code it measures.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableExperimentalFeature("StrictConcurrency"),
]

/// One executable target per concern, at `Benchmarks/<name>`: the plugin generates the runner's
/// `@main` only for executables whose folder sits directly in a folder named `Benchmarks`, and
/// that `@main` calls the target's global `let benchmarks: @Sendable () -> Void`.
func benchmarkSuite(_ name: String, dependencies: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "MeterCore", package: "meterd"),
        ] + dependencies,
        path: "Benchmarks/\(name)",
        swiftSettings: swiftSettings,
        plugins: [
            .plugin(name: "BenchmarkPlugin", package: "benchmark"),
        ]
    )
}

let package = Package(
    name: "MeterBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` fixes the identity to "meterd"; a bare path dependency takes the name of the
        // checkout's folder, which differs between clones and worktrees.
        .package(name: "meterd", path: "../"),
        // Exactly 1.38.1 and only the MallocInterposer trait: the default traits add
        // swift-runtime-interposer (ARC counters on Linux with Swift 6.3), which is not available
        // offline. Without it the retain/release metrics are not measured; malloc counts are.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // MeterCore building blocks: quantities, event records, record batches, hashing, grains.
        benchmarkSuite("CoreBenchmarks"),
        // The write-ahead log: durable appends with group commit, fdatasync latency, CRC32C.
        benchmarkSuite("WALBenchmarks", dependencies: [.product(name: "MeterWAL", package: "meterd")]),
        // Not a benchmark: prints heap bytes per live series (docs/benchmarks.md).
        .executableTarget(
            name: "SeriesMemory",
            dependencies: [.product(name: "MeterCore", package: "meterd")],
            path: "Tools/SeriesMemory",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FlushBench",
            dependencies: [.product(name: "MeterCore", package: "meterd"), .product(name: "MeterPostgres", package: "meterd")],
            path: "Tools/FlushBench",
            swiftSettings: swiftSettings
        ),
    ]
)
