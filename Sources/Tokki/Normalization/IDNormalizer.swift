#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A normalizer for the ids-only path: the same normalized bytes as ``Normalizer/normalize(utf8:)``,
/// without the alignment back to the input (which ids do not need and which costs an edit
/// list per line). Made only for normalizers whose every stage it knows: `Prepend`,
/// `Replace` (string or regex), `Lowercase`, `BertNormalizer` and the ICU forms; nil for
/// any other.
struct IDNormalizer: Sendable {
    enum Step: Sendable {
        case prepend([UInt8])
        case replace(Replace, [UInt8])
        /// A one-byte (ASCII) literal pattern: replaced in one pass, no list of matches.
        case replaceByte(UInt8, [UInt8])
        /// `Replace(Regex("\\s+"), content)` (CLIP): every run of White_Space replaced, in one pass.
        case replaceSpaceRuns([UInt8])
        /// `Prepend(prefix)` then a one-byte `Replace` (Llama's `▁` + spaces as `▁`), in one pass.
        case prependThenReplaceByte([UInt8], UInt8, [UInt8])
        case lowercase
        /// `BertNormalizer`, in one pass.
        case bert(BertIDNormalizer)
        /// An ICU form: text already in that form is copied; other text goes through the
        /// general normalizer.
        case form(any Normalizer)
    }

    let steps: [Step]

    init?(_ normalizer: any Normalizer) {
        // A lone ICU form is better served by the caller's own check (no copy when the text
        // is already in that form).
        guard var steps = Self.steps(normalizer), steps.contains(where: { if case .form = $0 { false } else { true } })
        else { return nil }
        var k = 0
        while k + 1 < steps.count {
            if case .prepend(let prefix) = steps[k], case .replaceByte(let byte, let content) = steps[k + 1] {
                steps[k] = .prependThenReplaceByte(prefix, byte, content)
                steps.remove(at: k + 1)
            }
            k += 1
        }
        self.steps = steps
    }

    static func steps(_ n: any Normalizer) -> [Step]? {
        switch n {
        case let p as Prepend: return [.prepend(Array(p.prefix.utf8))]
        case let r as Replace:
            if case .string(let literal) = r.pattern, literal.utf8.count == 1, let b = literal.utf8.first, b < 0x80 {
                return [.replaceByte(b, Array(r.content.utf8))]
            }
            if case .regex(#"\s+"#) = r.pattern { return [.replaceSpaceRuns(Array(r.content.utf8))] }
            return [.replace(r, Array(r.content.utf8))]
        case is Lowercase: return [.lowercase]
        case let b as BertNormalizer: return [.bert(BertIDNormalizer(b))]
        case is ICUNormalizer, is CharacterAlignedNormalizer: return [.form(n)]
        case let s as NormalizerSequence:
            var out: [Step] = []
            for stage in s.normalizers {
                guard let more = steps(stage) else { return nil }
                out += more
            }
            return out
        default: return nil
        }
    }

    /// Writes the normalized bytes of well-formed UTF-8 `input` to `out` (replacing its
    /// contents); `spare` is working memory.
    func normalize(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], spare: inout [UInt8]) throws(TokkiError) {
        out.removeAll(keepingCapacity: true)
        for (k, step) in steps.enumerated() {
            if k == 0 {
                // The first step reads the input itself.
                try Self.apply(step, input, into: &out)
                continue
            }
            swap(&out, &spare)
            out.removeAll(keepingCapacity: true)
            try spare.withUnsafeBufferPointer { (text) throws(TokkiError) in try Self.apply(step, text, into: &out) }
        }
        if steps.isEmpty { out.append(contentsOf: input) }
    }

    /// Appends the result of `step` on `text` to `out` (empty on entry).
    private static func apply(_ step: Step, _ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(TokkiError) {
        switch step {
        case .prepend(let prefix):
            // Nothing is prepended to empty text (tokenizers' Prepend).
            if !text.isEmpty { out.append(contentsOf: prefix) }
            out.append(contentsOf: text)
        case .replace(let replace, let content):
            var last = 0
            for r in try replace.matches(text) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: text[last..<r.lowerBound]))
                out.append(contentsOf: content)
                last = r.upperBound
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[last...]))
        case .replaceSpaceRuns(let content):
            guard let base = text.baseAddress else { break }
            let n = text.count
            var i = 0
            while i < n {
                let b = base[i]
                // ASCII other than \t \n \v \f \r and space is never White_Space.
                if b < 0x80 && b != 0x20 && (b < 0x09 || b > 0x0D) { out.append(b); i += 1; continue }
                var j = i
                while j < n {
                    if base[j] < 0x80 {
                        let c = base[j]
                        guard c == 0x20 || (c >= 0x09 && c <= 0x0D) else { break }
                        j += 1
                    } else {
                        let (v, len) = decodeScalar(base, j, n)
                        guard ICU.isWhiteSpace(v) else { break }
                        j += len
                    }
                }
                if j > i {
                    out.append(contentsOf: content)
                    i = j
                } else {
                    // A non-ASCII character that is not White_Space.
                    let len = min(n - i, BPEModel.utf8Length(b))
                    out.append(contentsOf: UnsafeBufferPointer(start: base + i, count: len))
                    i += len
                }
            }
        case .prependThenReplaceByte(let prefix, let byte, let content):
            // Nothing is prepended to empty text (tokenizers' Prepend).
            guard let base = text.baseAddress, !text.isEmpty else { break }
            out.append(contentsOf: prefix)
            Self.replace(byte, with: content, in: base, text.count, into: &out)
        case .replaceByte(let byte, let content):
            guard let base = text.baseAddress else { break }
            Self.replace(byte, with: content, in: base, text.count, into: &out)
        case .lowercase:
            guard let base = text.baseAddress else { break }
            let n = text.count
            var i = 0
            while i < n {
                let b = base[i]
                if b < 0x80 {
                    out.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
                    i += 1
                    continue
                }
                let (v, len) = decodeScalar(base, i, n)
                if v >= 0x10000 || Lowercase.bmpChanges[Int(v >> 6)] & (1 << UInt64(v & 63)) != 0,
                   let scalar = Unicode.Scalar(v), scalar.properties.changesWhenLowercased {
                    out.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(start: base + i, count: len))
                }
                i += len
            }
        case .bert(let bert):
            try bert.normalize(text, into: &out)
        case .form(let normalizer):
            if HuggingFaceTokenizer.isAlreadyNormalized(text, normalizer) {
                out.append(contentsOf: text)
            } else {
                out.append(contentsOf: try normalizer.normalize(utf8: text).normalized)
            }
        }
    }

    /// Appends `p[0..<n]` to `out` with every `byte` replaced by `content` (memchr jumps).
    static func replace(_ byte: UInt8, with content: [UInt8], in p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
        var last = 0
        while last < n, let hit = memchr(p + last, Int32(byte), n - last) {
            let at = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - p
            out.append(contentsOf: UnsafeBufferPointer(start: p + last, count: at - last))
            out.append(contentsOf: content)
            last = at + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p + last, count: n - last))
    }
}
