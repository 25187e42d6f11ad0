import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// Parity with the Python `tokenizers` package on tokenizers its trainers made from Korean
/// text (`scripts/fixtures/make_hf_fixtures.py` wrote the files and the expected outputs).
@Suite struct HuggingFaceTokenizerParityTests {
    static let names = ["bytelevel_bpe", "bytelevel_bpe_nfkc_split", "metaspace_bpe", "metaspace_bpe_bf",
                        "unigram", "unigram_bf", "wordpiece_bert", "wordlevel", "misc_pipeline",
                        "precompiled_unigram", "precompiled_identity_bpe"]

    static func texts() throws -> [String: String] {
        var out: [String: String] = [:]
        for file in ["sentencepiece/inputs.json", "hf/extra_inputs.json", "hf/precompiled_inputs.json"] {
            let list = try Fixtures.json(file) as! [[String: Any]]
            for item in list { out[item["name"] as! String] = (item["text"] as! String) }
        }
        return out
    }

    static func ranges(_ v: Any?) -> [Range<Int>] {
        (v as! [[Int]]).map { $0[0]..<$0[1] }
    }

    @Test(arguments: names)
    func casesMatchTheReference(name: String) throws {
        let tok = try HuggingFaceTokenizer(contentsOf: Fixtures.url("hf/\(name).json"))
        let expected = try Fixtures.json("hf/\(name).expected.json") as! [String: Any]
        let texts = try Self.texts()
        var failures: [String] = []
        let cases = (expected["cases"] as! [[String: Any]]) + (expected["extra_cases"] as? [[String: Any]] ?? [])
            + (expected["precompiled_cases"] as? [[String: Any]] ?? [])
        for c in cases {
            let caseName = c["name"] as! String
            // Known difference: tokenizers' UnicodeScripts table predates Unicode 10, so it has
            // no script for U+1F9D1 (🧑) and drops it; ICU 72 gives it Common.
            if name == "misc_pipeline" && caseName == "emoji_zwj" { continue }
            let text = texts[caseName]!
            let plain = try tok.encode(text, addSpecialTokens: false)
            let special = try tok.encode(text, addSpecialTokens: true)
            var problems: [String] = []
            var fast: [Int32] = [], scratch = HuggingFaceTokenizer.Scratch()
            var t = text
            try t.withUTF8 { try tok.encodeIDs($0, into: &fast, scratch: &scratch) }
            if fast.map(Int.init) != c["ids"] as! [Int] { problems.append("encodeIDs \(fast) != \(c["ids"]!)") }
            // With truncation set (too long to cut anything) the ids path takes the general
            // one; it must still add special tokens only when asked.
            var truncating = tok
            truncating.truncation = Truncation(maxLength: 1 << 20)
            for (flag, key) in [(false, "ids"), (true, "ids_special")] {
                var general: [Int32] = [], generalScratch = HuggingFaceTokenizer.Scratch()
                try t.withUTF8 { try truncating.encodeIDs($0, into: &general, scratch: &generalScratch, addSpecialTokens: flag) }
                if general.map(Int.init) != c[key] as! [Int] { problems.append("encodeIDs with truncation, special \(flag): \(general) != \(c[key]!)") }
            }
            if plain.ids != c["ids"] as! [Int] { problems.append("ids \(plain.ids) != \(c["ids"]!)") }
            if plain.pieces != c["tokens"] as! [String] { problems.append("tokens \(plain.pieces) != \(c["tokens"]!)") }
            if plain.characterOffsets != Self.ranges(c["offsets"]) { problems.append("offsets \(plain.characterOffsets) != \(Self.ranges(c["offsets"]))") }
            if special.ids != c["ids_special"] as! [Int] { problems.append("ids_special \(special.ids) != \(c["ids_special"]!)") }
            if special.characterOffsets != Self.ranges(c["offsets_special"]) { problems.append("offsets_special \(special.characterOffsets) != \(Self.ranges(c["offsets_special"]))") }
            if special.typeIDs != c["type_ids"] as! [Int] { problems.append("type_ids") }
            if special.specialTokensMask != c["special_tokens_mask"] as! [Int] { problems.append("special_tokens_mask \(special.specialTokensMask) != \(c["special_tokens_mask"]!)") }
            let decoded = try tok.decode(c["ids_special"] as! [Int], skipSpecialTokens: true)
            if decoded != c["decoded"] as! String || !decoded.utf8.elementsEqual((c["decoded"] as! String).utf8) { problems.append("decoded '\(decoded)' != '\(c["decoded"]!)'") }
            let kept = try tok.decode(c["ids_special"] as! [Int], skipSpecialTokens: false)
            if !kept.utf8.elementsEqual((c["decoded_keep_special"] as! String).utf8) { problems.append("decoded_keep_special '\(kept)' != '\(c["decoded_keep_special"]!)'") }
            if !problems.isEmpty { failures.append("\(caseName): " + problems.joined(separator: "; ")) }
        }
        for l in expected["long_cases"] as? [[String: Any]] ?? [] {
            let ids = try tok.encode(texts[l["name"] as! String]!, addSpecialTokens: false).ids
            if ids != l["ids"] as! [Int] { failures.append("\(l["name"]!): long ids differ") }
        }
        for p in expected["pairs"] as? [[String: Any]] ?? [] {
            let e = try tok.encode(texts[p["a_name"] as! String]!, pair: texts[p["b_name"] as! String]!, addSpecialTokens: true)
            if name == "misc_pipeline" && [p["a_name"] as! String, p["b_name"] as! String].contains("emoji_zwj") { continue }
            if e.ids != p["ids"] as! [Int] || e.typeIDs != p["type_ids"] as! [Int] || e.characterOffsets != Self.ranges(p["offsets"])
                || e.specialTokensMask != p["special_tokens_mask"] as! [Int] {
                failures.append("pair \(p["a_name"]!)+\(p["b_name"]!): ids \(e.ids) vs \(p["ids"]!), types \(e.typeIDs) vs \(p["type_ids"]!), offsets \(e.characterOffsets) vs \(Self.ranges(p["offsets"]))")
            }
        }
        #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) of \(cases.count) cases differ:\n" + failures.prefix(6).joined(separator: "\n")))
    }
}

/// Padding, truncation (with stride and overflowing parts) and pairs in batches, against
/// `tokenizers`' `encode_batch` with the same settings.
@Suite struct HuggingFaceBatchTests {
    static func settings(_ config: [String: Any]) -> (Truncation?, Padding?) {
        var truncation: Truncation?
        if let t = config["truncation"] as? [String: Any] {
            truncation = Truncation(maxLength: t["max_length"] as! Int, stride: t["stride"] as! Int,
                                    strategy: Truncation.Strategy(rawValue: t["strategy"] as! String)!,
                                    direction: Truncation.Direction(rawValue: t["direction"] as! String)!)
        }
        var padding: Padding?
        if let p = config["padding"] as? [String: Any] {
            padding = Padding(strategy: (p["length"] as? Int).map { .fixed($0) } ?? .batchLongest,
                              direction: Padding.Direction(rawValue: p["direction"] as! String)!,
                              padToMultipleOf: p["pad_to_multiple_of"] as? Int, padID: p["pad_id"] as! Int,
                              padTypeID: p["pad_type_id"] as! Int, padToken: p["pad_token"] as! String)
        }
        return (truncation, padding)
    }

    static func describe(_ e: Encoding) -> [String: Any] {
        ["ids": e.ids, "type_ids": e.typeIDs, "attention_mask": e.attentionMask, "special_tokens_mask": e.specialTokensMask,
         "offsets": e.characterOffsets.map { [$0.lowerBound, $0.upperBound] }, "overflowing": e.overflowing.map(describe)]
    }

    static func same(_ mine: Encoding, _ want: [String: Any]) -> Bool {
        guard mine.ids == want["ids"] as! [Int], mine.typeIDs == want["type_ids"] as! [Int],
              mine.attentionMask == want["attention_mask"] as! [Int],
              mine.specialTokensMask == want["special_tokens_mask"] as! [Int],
              mine.characterOffsets.map({ [$0.lowerBound, $0.upperBound] }) == want["offsets"] as! [[Int]] else { return false }
        let overflow = want["overflowing"] as! [[String: Any]]
        return mine.overflowing.count == overflow.count && zip(mine.overflowing, overflow).allSatisfy { same($0, $1) }
    }

    @Test(arguments: HuggingFaceTokenizerParityTests.names)
    func batchesMatchTheReference(name: String) throws {
        let base = try HuggingFaceTokenizer(contentsOf: Fixtures.url("hf/\(name).json"))
        let expected = try Fixtures.json("hf/\(name).expected.json") as! [String: Any]
        let texts = try HuggingFaceTokenizerParityTests.texts()
        var failures: [String] = []
        let batches = expected["batches"] as? [[String: Any]] ?? []
        #expect(batches.count >= 3)
        for batch in batches {
            var tok = base
            (tok.truncation, tok.padding) = Self.settings(batch["config"] as! [String: Any])
            let inputs = batch["inputs"] as! [Any]
            let firsts = inputs.map { ($0 as? [String])?[0] ?? ($0 as! String) }.map { texts[$0]! }
            let seconds: [String]? = inputs.first is [String] ? inputs.map { texts[($0 as! [String])[1]]! } : nil
            for threads in [1, 2] {
                do {
                    let got = try tok.encodeBatch(firsts, pairs: seconds, addSpecialTokens: true, threads: threads)
                    if let error = batch["error"] as? String {
                        failures.append("\(batch["name"]!): expected the error \(error)")
                        continue
                    }
                    let want = batch["encodings"] as! [[String: Any]]
                    if got.count != want.count {
                        failures.append("\(batch["name"]!) threads \(threads): \(got.count) encodings, want \(want.count)")
                    }
                    for (k, (mine, w)) in zip(got, want).enumerated() where !Self.same(mine, w) {
                        failures.append("\(batch["name"]!)[\(k)] threads \(threads): got \(Self.describe(mine)) want \(w)")
                    }
                } catch {
                    if let message = batch["error"] as? String {
                        if !message.contains("too short") || !error.description.contains("too short") {
                            failures.append("\(batch["name"]!): error \(error) vs \(message)")
                        }
                    } else {
                        failures.append("\(batch["name"]!): unexpected error \(error)")
                    }
                }
            }
        }
        #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) of \(batches.count * 2) batches differ:\n" + failures.prefix(3).joined(separator: "\n")))
    }
}
