// swift-tools-version: 6.0
// Benchmarks for Tokki. Users of the library never build this package.
// Run: scripts/bench/bench_normalize.sh (builds in release and prints MB/s side by side).
import PackageDescription

let package = Package(
    name: "TokkiBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Tokki", path: "../"),
    ],
    targets: [
        .executableTarget(
            name: "tokki-bench",
            dependencies: [
                .product(name: "Tokki", package: "Tokki"),
                .product(name: "TokkiObjectives", package: "Tokki"),
            ],
            path: "Sources/TokkiBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
