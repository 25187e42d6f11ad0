import Foundation
import Testing
import TokkiTestSupport

/// The options that are enums and the shared option groups: the parser checks the values
/// (exit 64 before any work), `--help` lists them, and every command sharing a group checks it
/// the same way.
@Suite("tokki option parsing")
struct OptionParsingTests {
    @Test(arguments: [
        ["batch", "--objective", "mlm", "--output", "/nonexistent/x.jsonl", "--dtype", "int16"],
        ["train", "--output", "/nonexistent/x", "--normalization", "nfc"],
        ["charsmap", "bogus"],
        ["normalize", "--invalid", "ignore"],
        ["encode", "--text", "가", "--invalid", "ignore"],
        ["stats", "--invalid", "ignore"],
        ["prepare", "--output-prefix", "/nonexistent/x", "--invalid", "ignore"],
        ["encode", "--text", "가", "--threads", "0"],
        ["batch", "--objective", "mlm", "--output", "/nonexistent/x.jsonl", "--threads", "0"],
        ["prepare", "--output-prefix", "/nonexistent/x", "--threads", "0"],
        ["clean", "--threads", "0"],
        ["dedup", "--threads", "0"],
        ["instruct", "--format", "chat"],
    ])
    func badValuesAreUsageErrors(_ arguments: [String]) throws {
        let r = try TokkiExecutable.run(arguments)
        #expect(r.status == 64, "\(arguments): \(r.stderr)")
        #expect(r.text.isEmpty)
        let option = arguments[arguments.count - 2]
        if option == "--threads" {
            #expect(r.stderr.contains("--threads must be at least 1"), "\(r.stderr)")
        } else {
            #expect(r.stderr.contains("Please provide one of"), "\(r.stderr)")
        }
    }

    @Test func helpListsTheValues() throws {
        let batch = try TokkiExecutable.run(["batch", "--help"], environment: ["COLUMNS": "1000"])
        #expect(batch.text.contains("(values: int32, int64; default: int64)"))
        #expect(batch.text.contains("(values: error, replace; default: error)"))
        let train = try TokkiExecutable.run(["train", "--help"], environment: ["COLUMNS": "1000"])
        #expect(train.text.contains("(values: korean, nfkc, nmt_nfkc, identity; default: korean)"))
    }

    @Test func enumValuesStillSelectTheirBehaviour() throws {
        let charsmap = try TokkiExecutable.run(["charsmap", "nmt_nfkc"])
        #expect(charsmap.status == 0 && !charsmap.stdout.isEmpty)
        let replaced = try TokkiExecutable.run(["normalize", "--invalid", "replace"], stdin: Data([0x61, 0xFF, 0x0A]))
        #expect(replaced.status == 0 && replaced.text == "a\u{FFFD}\n")
        let stopped = try TokkiExecutable.run(["normalize"], stdin: Data([0x61, 0xFF, 0x0A]))
        #expect(stopped.status == 65)
    }
}
