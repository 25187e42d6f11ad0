import Foundation
import Tokki

/// The normalization a trained model carries (`--normalization`), compiled into the model's
/// `precompiled_charsmap` so that the Python `sentencepiece` package normalizes exactly as
/// Tokki does.
public enum TrainingNormalization: String, Sendable, CaseIterable {
    /// Tokki's Korean-safe preset (`KoreanNormalizer`), plus tab, CR and LF as spaces.
    case korean
    /// ICU NFKC.
    case nfkc
    /// NFKC with SentencePiece's NMT rules (whitespace-like characters to spaces, controls
    /// removed), like SentencePiece's default `nmt_nfkc`.
    case nmtNFKC = "nmt_nfkc"
    /// No normalization (empty charsmap).
    case identity

    /// The normalizer whose per-character behaviour is compiled.
    func normalizer() throws(TokkiError) -> (any Normalizer)? {
        switch self {
        case .korean: return KoreanNormalizer()
        case .nfkc, .nmtNFKC: return try ICUNormalizer(.nfkc)
        case .identity: return nil
        }
    }

    /// Characters mapped after the normalizer (SentencePiece's NMT additions; for the
    /// Korean preset, whitespace controls become spaces).
    var overrides: [UInt32: [UInt8]] {
        var map: [UInt32: [UInt8]] = [:]
        switch self {
        case .korean:
            for c: UInt32 in [0x09, 0x0A, 0x0D] { map[c] = [0x20] }
        case .nmtNFKC:
            for c: UInt32 in [0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B, 0x200C, 0x200E, 0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD] {
                map[c] = [0x20]
            }
            for c: UInt32 in Array(0x01...0x08) + [0x0B] + Array(0x0E...0x1F) + [0x7F, 0x8F, 0x9F] { map[c] = [] }
        case .nfkc, .identity:
            break
        }
        return map
    }

    /// The normalizer settings of a model trained with this normalization. With
    /// `hanjaReadings`, the charsmap also reads the Hanja whose reading never depends on
    /// context (``HanjaNormalizer/contextFreeReadings``), as ``HanjaNormalizer/Mode/hangul``
    /// reads them; the others need word context and stay as they are.
    public func settings(hanjaReadings: Bool = false) throws(TokkiError) -> SentencePieceModel.NormalizerSettings {
        var blob = try CharsmapCompiler.compile(self)
        if hanjaReadings { blob = try CharsmapCompiler.addingHanjaReadings(to: blob) }
        return SentencePieceModel.NormalizerSettings(name: rawValue, precompiledCharsmap: blob)
    }
}

/// Compiles a normalizer's per-character behaviour into a SentencePiece charsmap: one rule
/// for every assigned code point the normalizer changes, and one for the canonical
/// decomposition of every character whose decomposed form it changes (so NFD Hangul is
/// composed, as SentencePiece's own NFKC rules do).
package enum CharsmapCompiler {
    /// Compiled charsmaps, by normalization (compiling takes about a second).
    nonisolated(unsafe) static var cache: [TrainingNormalization: [UInt8]] = [:]
    static let lock = NSLock()

    /// Applies `f` to every string of `inputs` separately. They are joined with line feeds
    /// (which these normalizers keep, and which nothing composes with) and done in one call;
    /// when the output does not split back into as many lines, each is done alone.
    static func normalizeEach(_ inputs: [String], _ f: (String) throws(TokkiError) -> String) throws(TokkiError) -> [String] {
        // Split on the LF byte: as Characters, "\r" + "\n" would be one.
        let joined = Array(try f(inputs.joined(separator: "\n")).utf8)
        let parts = joined.split(separator: 0x0A, omittingEmptySubsequences: false)
        if parts.count == inputs.count { return parts.map { String(decoding: $0, as: UTF8.self) } }
        var out: [String] = []
        out.reserveCapacity(inputs.count)
        for s in inputs { out.append(try f(s)) }
        return out
    }

    /// The charsmap blob for `normalization` (empty for identity): the one shipped with Tokki
    /// (compiled from the ICU recorded in ``ShippedCharsmaps/icuVersion``), so that a
    /// model trained anywhere has the same bytes and tiny runs skip the compile; with
    /// `TOKKI_COMPILE_CHARSMAPS=1` in the environment, compiled from the system ICU.
    package static func compile(_ normalization: TrainingNormalization) throws(TokkiError) -> [UInt8] {
        if ProcessInfo.processInfo.environment["TOKKI_COMPILE_CHARSMAPS"] != "1",
           let shipped = ShippedCharsmaps.blob(normalization) {
            return shipped
        }
        return try compileFromICU(normalization)
    }

    /// `blob`'s rules plus one rule per context-free Hanja reading (replacing any rule the
    /// normalization had for that character, e.g. NFKC's folding of a compatibility ideograph).
    package static func addingHanjaReadings(to blob: [UInt8]) throws(TokkiError) -> [UInt8] {
        var rules: [[UInt8]: [UInt8]] = [:]
        if !blob.isEmpty {
            for r in try PrecompiledCharsmap(blob).rules { rules[r.source] = r.target }
        }
        for (h, r) in HanjaNormalizer.contextFreeReadings { rules[Array(String(h).utf8)] = Array(String(r).utf8) }
        do {
            return try PrecompiledCharsmap.compile(rules.map { ($0.key, $0.value) })
        } catch {
            throw .invalidConfiguration("cannot compile the Hanja readings into a charsmap: \(error)")
        }
    }

    /// The charsmap blob for `normalization`, compiled from the system ICU (about 0.2 s).
    package static func compileFromICU(_ normalization: TrainingNormalization) throws(TokkiError) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[normalization] { return cached }
        guard let normalizer = try normalization.normalizer() else { return [] }
        let overrides = normalization.overrides
        let nfd = try ICUNormalizer(.nfd)
        var rules: [(source: [UInt8], target: [UInt8])] = []
        var seen = Set<[UInt8]>()
        func overridden<S: StringProtocol>(_ normalized: S) -> [UInt8] {
            var out: [UInt8] = []
            for scalar in normalized.unicodeScalars {
                if let o = overrides[scalar.value] { out += o } else { out += Array(String(scalar).utf8) }
            }
            return out
        }
        // Candidates: every assigned code point (but LF, the batch separator, done alone), and
        // the decomposed form of those that have one.
        var singles: [String] = []
        for v in UInt32(1)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v), v != 0x0A else { continue }
            switch scalar.properties.generalCategory {
            case .unassigned, .privateUse, .surrogate: continue
            default: break
            }
            singles.append(String(scalar))
        }
        let decomposed = try normalizeEach(singles) { (s) throws(TokkiError) in try nfd.normalize(s) }
        let decomposedForms = decomposed.filter { $0.unicodeScalars.count > 1 }
        let lineFeed = [(source: [UInt8(0x0A)], target: overridden(try normalizer.normalize("\n")))]
        for (sources, targets) in [(singles, try normalizeEach(singles) { (s) throws(TokkiError) in try normalizer.normalize(s) }),
                                   (decomposedForms, try normalizeEach(decomposedForms) { (s) throws(TokkiError) in try normalizer.normalize(s) })] {
            for (s, t) in zip(sources, targets) {
                let source = Array(s.utf8), target = overridden(t)
                if target != source && seen.insert(source).inserted { rules.append((source, target)) }
            }
        }
        for r in lineFeed where r.target != r.source { rules.append(r) }
        let blob: [UInt8]
        do { blob = try PrecompiledCharsmap.compile(rules) } catch {
            throw .invalidConfiguration("cannot compile the \(normalization.rawValue) rules into a charsmap: \(error)")
        }
        cache[normalization] = blob
        return blob
    }
}
