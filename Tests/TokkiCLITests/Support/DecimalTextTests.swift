import Testing
@testable import TokkiCLI

/// `tokki encode`'s table of id texts: entry k holds the decimal digits of k (first digit in
/// the lowest byte) and the digit count in the top byte; `appendIDs` writes them.
@Suite("Id texts")
struct DecimalTextTests {
    static func decode(_ v: UInt64) -> String {
        let n = Int(v >> 56)
        return String(decoding: (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }, as: UTF8.self)
    }

    @Test func everyIdAcrossEachCarry() {
        let table = Encode.decimalTexts(1_000_123)
        #expect(table.count == 1_000_123)
        for id in Array(0..<2_000) + [9_999, 10_000, 99_999, 100_000, 100_001, 999_999, 1_000_000, 1_000_122] {
            #expect(Self.decode(table[id]) == String(id), "\(id)")
        }
        var text: [UInt8] = []
        Encode.appendIDs([0, 7, 10, 65_535, 1_000_000], table, to: &text)
        #expect(String(decoding: text, as: UTF8.self) == "0 7 10 65535 1000000")
        #expect(Encode.decimalTexts(0).isEmpty)
    }
}
