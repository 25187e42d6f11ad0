@testable import TokkiObjectives

/// A small synthetic vocabulary: 0 <pad>, 1 <s>, 2 </s>, 3 <unk>, 4 <mask>, 5…104 <extra_id_0…99>,
/// 105… ordinary tokens; 1000 ids.
package enum TestVocabulary {
    package static let size = 1000
    package static let firstOrdinary: Int32 = 105
    package static func lookup(_ name: String) -> Int32? {
        if name.hasPrefix("<extra_id_"), name.hasSuffix(">"), let k = Int(name.dropFirst(10).dropLast()), k < 100 { return Int32(5 + k) }
        switch name {
        case "<pad>": return 0
        case "<s>": return 1
        case "</s>": return 2
        case "<mask>": return 4
        case "[NLU]": return 997
        case "[NLG]": return 998
        case "[S2S]": return 999
        default: return nil
        }
    }
    package static var tokens: SpecialTokens {
        SpecialTokens(vocabularySize: size, special: Set([0, 1, 2, 3, 4] + (5...104).map { Int32($0) } + [997, 998, 999]),
                      pad: 0, bos: 1, eos: 2, mask: 4, lookup: { lookup($0) })
    }
    /// Deterministic pseudo-random ordinary ids.
    package static func document(_ n: Int, seed: UInt64) -> [Int32] {
        var rng = CounterRNG(seed: seed, index: 0)
        return (0..<n).map { _ in firstOrdinary + Int32(rng.below(890)) }
    }
}
