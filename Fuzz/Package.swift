// swift-tools-version: 6.0
// libFuzzer targets for every Tokki reader of outside data. Users of the library never build
// this package. Run: scripts/tools/fuzz.sh [SECONDS] [TARGET...] (builds with
// -sanitize=fuzzer,address and runs each target from a copy of Fuzz/Corpus/<target>/).
import PackageDescription

/// The fuzz targets: one executable each, named as its seed directory in `Corpus/`.
let fuzzTargets = [
    "sentencepiece_model", "tokenizer_json", "tiktoken_tekken", "gpt2_files", "megatron_idx",
    "normalizers", "encode", "decode", "jsonl", "instruction_templates", "input_decoding", "sft_records", "pii_scrub",
    "substring_dedup", "embedding_matrix", "dedup_stages", "model_cache", "chat_templates",
]

let package = Package(
    name: "TokkiFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Tokki", path: "../"),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver (defined by libclang_rt.fuzzer).
        .target(name: "CFuzzDriver"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzDriver",
                .product(name: "Tokki", package: "Tokki"),
            ]
        ),
        // Writes the generated seeds into Corpus/ (not a fuzz target).
        .executableTarget(name: "make_seeds", dependencies: [.product(name: "Tokki", package: "Tokki")]),
    ] + fuzzTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "Tokki", package: "Tokki"),
                .product(name: "TokkiTraining", package: "Tokki"),
                .product(name: "TokkiData", package: "Tokki"),
                .product(name: "TokkiObjectives", package: "Tokki"),
            ],
            path: "Sources/Targets/\(name)"
        )
    },
    swiftLanguageModes: [.v6]
)
