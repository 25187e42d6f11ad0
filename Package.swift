// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Tokki",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tokki", targets: ["Tokki"]),
        .library(name: "TokkiTraining", targets: ["TokkiTraining"]),
        .library(name: "TokkiObjectives", targets: ["TokkiObjectives"]),
        .library(name: "TokkiData", targets: ["TokkiData"]),
        .executable(name: "tokki", targets: ["TokkiCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // Documentation only: `swift package generate-documentation` (see the README).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Stable C functions over the system ICU (Debian `libicu-dev`). Swift never includes an ICU header.
        .target(
            name: "CICUShim",
            linkerSettings: [
                .linkedLibrary("icuuc"),
                .linkedLibrary("icui18n"),
                .linkedLibrary("icudata"),
            ]
        ),
        // Streaming gzip and Zstandard decompression over the system zlib and libzstd (Debian
        // `zlib1g-dev`, `libzstd-dev`): corpora in .gz / .zst are read by every command.
        .target(
            name: "CCompression",
            linkerSettings: [
                .linkedLibrary("z"),
                .linkedLibrary("zstd"),
            ]
        ),
        // Processor hints (cache prefetch) as inline C functions; SIMD UTF-8 validation; Linux
        // writeback hints (sync_file_range) for the dataset writers.
        .target(name: "CSupport"),
        .target(
            name: "Tokki",
            dependencies: [
                "CICUShim",
                "CCompression",
                "CSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Vocabulary trainers (BPE; Unigram and byte-level BPE to come) and corpus readers.
        .target(
            name: "TokkiTraining",
            dependencies: ["Tokki"]
        ),
        // Pre-training objectives: masked LM, causal-LM packing, T5 span corruption / UL2.
        .target(
            name: "TokkiObjectives",
            dependencies: ["Tokki"]
        ),
        // Dataset writers: .npy, safetensors, Megatron indexed datasets, JSONL.
        .target(
            name: "TokkiData",
            dependencies: ["Tokki", "TokkiObjectives", "CSupport"]
        ),
        .executableTarget(
            name: "TokkiCLI",
            dependencies: [
                "Tokki",
                "TokkiTraining",
                "TokkiObjectives",
                "TokkiData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test helpers shared by the test targets: fixture paths, the published-file switches
        // (`Published`), the `tokki` executable runner, reference-output decoders.
        .target(
            name: "TokkiTestSupport",
            dependencies: ["Tokki", "TokkiObjectives"],
            path: "Tests/TokkiTestSupport"
        ),
        // One test target per module, so that a module's tests build without the others.
        .testTarget(
            name: "TokkiTests",
            dependencies: ["Tokki", "TokkiTestSupport"]
        ),
        .testTarget(
            name: "TokkiTrainingTests",
            dependencies: ["Tokki", "TokkiTraining", "TokkiTestSupport"]
        ),
        .testTarget(
            name: "TokkiObjectivesTests",
            dependencies: ["Tokki", "TokkiObjectives", "TokkiTestSupport"]
        ),
        .testTarget(
            name: "TokkiDataTests",
            dependencies: ["Tokki", "TokkiObjectives", "TokkiData", "TokkiTestSupport"]
        ),
        .testTarget(
            name: "TokkiCLITests",
            dependencies: ["Tokki", "TokkiTraining", "TokkiObjectives", "TokkiData", "TokkiTestSupport", "TokkiCLI"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
