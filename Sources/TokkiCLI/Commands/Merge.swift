import ArgumentParser
import Foundation
import TokkiData

/// `tokki merge`: concatenates Megatron datasets (shards) in order.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Concatenate Megatron-LM datasets (e.g. the shards of 'tokki prepare --shard') in order.",
        discussion: """
        Examples:
          tokki merge part0 part1 part2 part3 --output-prefix corpus
          tokki merge $(ls -v shards/*.idx | sed 's/\\.idx$//') --output-prefix all
        """
    )

    @Argument(help: "Input prefixes (each with .bin and .idx), in order.")
    var inputs: [String]

    @Option(help: "Output prefix: writes PREFIX.bin and PREFIX.idx.")
    var outputPrefix: String

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one input prefix") }
    }

    func run() throws {
        let prefixes = inputs.map { $0.hasSuffix(".idx") || $0.hasSuffix(".bin") ? String($0.dropLast(4)) : $0 }
        do { try MegatronDataset.merge(prefixes, into: outputPrefix) } catch {
            switch error {
            case .io(let path, _) where !FileManager.default.fileExists(atPath: path): throw fail(.noInput, error.description)
            case .io: throw fail(.ioError, error.description)
            case .invalidFormat: throw fail(.dataError, error.description)
            default: throw fail(.usage, error.description)
            }
        }
    }
}
