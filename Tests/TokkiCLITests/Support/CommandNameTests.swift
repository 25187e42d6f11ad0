import ArgumentParser
import Testing
@testable import TokkiCLI

/// Every command names itself. Without an explicit `commandName`, the argument parser derives
/// it from the type name with `String(describing:)` for every subcommand on every run, and
/// each call scans the binary's protocol conformances (about 1 ms of every `tokki` process).
@Suite("Command names")
struct CommandNameTests {
    @Test func everyCommandHasAnExplicitName() {
        var all: [any ParsableCommand.Type] = [TokkiCommand.self]
        var k = 0
        while k < all.count {
            all.append(contentsOf: all[k].configuration.subcommands)
            k += 1
        }
        #expect(all.count >= 20)
        for command in all {
            #expect(command.configuration.commandName != nil, "\(command) has no explicit commandName")
        }
    }

    /// The names are the ones the type names gave before (scripts and the README use them).
    @Test func namesAreTheDocumentedOnes() {
        let names = TokkiCommand.configuration.subcommands.compactMap { $0.configuration.commandName }
        #expect(names == ["normalize", "encode", "decode", "inspect", "convert", "train", "extend", "stats", "batch", "prepare",
                          "merge", "clean", "dedup", "scrub", "template", "compare", "profile", "instruct", "charsmap"])
    }
}
