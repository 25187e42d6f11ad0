import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("Added-token matcher")
struct AddedTokenMatcherTests {
    /// Leftmost-longest matching written the obvious way: at each position, the longest token
    /// that starts there, else one byte on.
    static func naiveSplit(_ text: [UInt8], _ patterns: [[UInt8]]) -> [(Int?, Range<Int>)] {
        var parts: [(Int?, Range<Int>)] = []
        var start = 0, i = 0
        while i < text.count {
            var best: Int?
            for (k, p) in patterns.enumerated() where i + p.count <= text.count && Array(text[i..<(i + p.count)]) == p {
                if best.map({ patterns[$0].count < p.count }) ?? true { best = k }
            }
            guard let b = best else { i += 1; continue }
            if start < i { parts.append((nil, start..<i)) }
            parts.append((b, i..<(i + patterns[b].count)))
            i += patterns[b].count
            start = i
        }
        if start < text.count { parts.append((nil, start..<text.count)) }
        return parts
    }

    /// One shared first byte (the `memchr` scan) and several first bytes (the table scan)
    /// both find what the naive matcher finds, on random text full of near misses.
    @Test(arguments: [["<|im_start|>", "<|im_end|>", "<think>", "<|"], ["<|im_start|>", "[INST]", "<think>", "[/INST]"]])
    func agreesWithNaiveMatching(_ tokens: [String]) {
        let patterns = tokens.map { Array($0.utf8) }
        let matcher = AddedTokenMatcher(tokens.enumerated().map { (Array($1.utf8), AddedToken(id: 100 + $0, content: $1)) })
        let alphabet = ["<", "|", "im_start", "im_end", "|>", "think>", "[", "INST]", "/", "가", " ", "\n", "a"]
        var rng = SplitMix64(seed: 11)
        for _ in 0..<3_000 {
            let text = Array((0..<Int(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined().utf8)
            let got = text.withUnsafeBufferPointer { matcher.split($0) }.map { ($0.token, $0.range) }
            let want = Self.naiveSplit(text, patterns)
            #expect(got.map(\.0) == want.map(\.0) && got.map(\.1) == want.map(\.1), "\(String(decoding: text, as: UTF8.self))")
        }
    }
}
