import Testing
@testable import Tokki
import TokkiTestSupport

/// BERT's one-scan word split must give the pieces of the two splits it replaces (white
/// space removed, then punctuation isolated), in order.
@Suite struct BertWordSplitTests {
    @Test func sameWordsAsTheSplitChain() throws {
        let chain: [any PreTokenizer] = [
            try RegexSplit.whitespaceSplit(),
            try RegexSplit(pattern: RegexSplit.bertPunctuation, behavior: .isolated),
        ]
        #expect(BertWordSplit.matches(chain))
        #expect(!BertWordSplit.matches(Array(chain.reversed())))
        #expect(!BertWordSplit.matches([chain[0]]))
        var rng = SplitMixGenerator(seed: 3)
        let alphabet = PatternScannerTests.alphabet + ["\u{1039F}", "\u{10100}", "\u{16FE2}", "\u{1F600}"]
        for _ in 0..<2_000 {
            let text = (0..<Int(rng.next() % 16)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
                var ranges = [0..<b.count]
                for splitter in chain {
                    var next: [Range<Int>] = []
                    for r in ranges { try splitter.split(UnsafeBufferPointer(rebasing: b[r]), offset: r.lowerBound, appendingTo: &next) }
                    ranges = next.filter { !$0.isEmpty }
                }
                var words: [Range<Int>] = []
                BertWordSplit.forEachWord(b) { words.append($0..<$1) }
                #expect(words == ranges, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
    }
}
