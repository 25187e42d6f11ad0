import CICUShim

/// The single Swift wrapper over the `CICUShim` C functions. Every ICU call goes through it,
/// so ICU's versioned symbol names and headers (which clash with Foundation's bundled ICU)
/// stay in one C shim and one Swift file.
enum ICU {
    /// ICU normalization forms.
    enum Form: Int32, Sendable {
        case nfc = 0, nfd = 1, nfkc = 2, nfkd = 3, nfkcCasefold = 4
    }

    /// The version of the system ICU library, e.g. "72.1".
    static var version: String {
        var buffer = [CChar](repeating: 0, count: 32)
        tk_icu_version(&buffer, 32)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The Unicode version the system ICU implements, e.g. "15.0".
    static var unicodeVersion: String {
        var buffer = [CChar](repeating: 0, count: 32)
        tk_unicode_version(&buffer, 32)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The Unicode character name of `scalar`, or nil when it has none (e.g. controls).
    static func name(of scalar: UInt32) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = tk_char_name(scalar, &buffer, 128)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `scalar` has the Extended_Pictographic property.
    @inline(__always)
    static func isExtendedPictographic(_ scalar: UInt32) -> Bool { tk_is_extended_pictographic(scalar) != 0 }

    /// The end offsets of the extended grapheme clusters of well-formed UTF-8 `text`.
    static func graphemeEnds(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Int32] {
        guard text.count > 0 else { return [] }
        guard text.count < Int(Int32.max) else { throw .inputTooLarge(bytes: text.count, limit: Int(Int32.max) - 1) }
        var out = [Int32](repeating: 0, count: text.count + 1)
        var status: Int32 = 0
        let n = out.withUnsafeMutableBufferPointer { o in
            tk_grapheme_ends_utf8(text.baseAddress, Int32(text.count), o.baseAddress, Int32(o.count), &status)
        }
        guard n >= 0 else { throw .icu(operation: "ubrk (graphemes)", status: status, name: errorName(status)) }
        out.removeSubrange(Int(n)...)
        return out
    }

    /// ICU's script code (`UScriptCode`) of a code point.
    static func script(_ scalar: UInt32) -> Int32 { tk_script(scalar) }

    /// ICU's general category (`UCharCategory`) of a code point.
    static func category(_ scalar: UInt32) -> Int32 { tk_char_category(scalar) }

    /// The general category (as ``category(_:)``) of every code point U+0000...U+FFFF, from
    /// ICU's ranges of equal category (a fraction of a millisecond, where 65,536 single
    /// look-ups take over one).
    static func bmpCategories() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 0x10000) { buffer, initialized in
            if let base = buffer.baseAddress { tk_bmp_categories(base) }
            initialized = buffer.baseAddress == nil ? 0 : 0x10000
        }
    }

    /// Whether a code point has the White_Space property (what `\s` matches).
    static func isWhiteSpace(_ scalar: UInt32) -> Bool { tk_is_white_space(scalar) != 0 }

    /// The canonical combining class of a code point (0 for starters).
    static func combiningClass(_ scalar: UInt32) -> Int32 { tk_combining_class(scalar) }

    static func errorName(_ status: Int32) -> String {
        guard let p = tk_error_name(status) else { return "U_ERROR_\(status)" }
        return String(cString: p)
    }

    /// An owned ICU normalizer handle (a shared ICU instance or a filtered normalizer).
    /// ICU normalizers are immutable after creation and safe to use from many threads.
    final class NormalizerHandle: @unchecked Sendable {
        private let raw: UnsafeMutableRawPointer

        /// A handle on ICU's shared instance for `form`.
        init(form: Form) throws(TokkiError) {
            var status: Int32 = 0
            guard let p = tk_normalizer_instance(form.rawValue, &status) else {
                throw .icu(operation: "unorm2_get instance", status: status, name: ICU.errorName(status))
            }
            raw = p
        }

        /// A filtered normalizer: `form` applies only to code points in the UnicodeSet `pattern`.
        init(form: Form, filter pattern: String) throws(TokkiError) {
            var status: Int32 = 0
            let utf16 = Array(pattern.utf16)
            let p = utf16.withUnsafeBufferPointer {
                tk_normalizer_open_filtered(form.rawValue, $0.baseAddress, Int32($0.count), &status)
            }
            guard let p else {
                throw .icu(operation: "unorm2_openFiltered \(pattern)", status: status, name: ICU.errorName(status))
            }
            raw = p
        }

        deinit { tk_normalizer_close(raw) }

        /// Whether `scalar` always starts a segment and is unchanged on its own.
        func isStableStarter(_ scalar: UInt32) -> Bool { tk_normalizer_is_stable_starter(raw, scalar) != 0 }

        /// Writes the decomposition of `scalar` (for NFD: its full canonical decomposition)
        /// to `out`, at most `capacity` code points. Returns their number, 0 when `scalar`
        /// has none (it maps to itself), or -1 when `capacity` is too small or ICU fails.
        func decomposition(_ scalar: UInt32, into out: UnsafeMutablePointer<UInt32>, capacity: Int) -> Int {
            Int(tk_normalizer_decomposition(raw, scalar, out, Int32(capacity)))
        }

        /// The stable-starter bit set over the BMP (1024 words).
        func stableStarterBitmap() -> [UInt64] {
            var bits = [UInt64](repeating: 0, count: 1024)
            bits.withUnsafeMutableBufferPointer { tk_normalizer_stable_starter_bitmap(raw, $0.baseAddress) }
            return bits
        }

        /// Whether `input` is already normalized (ICU quick check; false on error).
        func isNormalized(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
            var status: Int32 = 0
            return tk_is_normalized_utf8(raw, input.baseAddress, Int32(input.count), &status) == 1
        }

        /// Normalizes well-formed UTF-8 `input`, returning output and alignment.
        func normalize(_ input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
            guard input.count < Int(Int32.max) else {
                throw .inputTooLarge(bytes: input.count, limit: Int(Int32.max) - 1)
            }
            if input.isEmpty || isNormalized(input) {
                return NormalizedText(unchanged: Array(input))
            }
            var result = tk_utf8_result()
            defer { tk_utf8_result_free(&result) }
            var status: Int32 = 0
            let rc = tk_normalize_utf8(raw, input.baseAddress, Int32(input.count), &result, &status)
            if rc != 0 {
                throw .icu(operation: "normalizeUTF8", status: status, name: ICU.errorName(status))
            }
            let bytes: [UInt8] = result.length > 0 && result.bytes != nil
                ? Array(UnsafeBufferPointer(start: result.bytes, count: Int(result.length))) : []
            var edits: [NormalizedText.Edit] = []
            edits.reserveCapacity(Int(result.editCount))
            if let e = result.edits {
                for k in 0..<Int(result.editCount) {
                    edits.append(.init(originalStart: Int(e[4 * k]), originalLength: Int(e[4 * k + 1]),
                                       normalizedStart: Int(e[4 * k + 2]), normalizedLength: Int(e[4 * k + 3])))
                }
            }
            return NormalizedText(original: Array(input), normalized: bytes, edits: edits)
        }
    }

    /// A compiled ICU regular expression (the template; matching uses a per-call clone,
    /// since ICU regex objects hold match state).
    final class Regex: @unchecked Sendable {
        private let template: UnsafeMutableRawPointer
        let pattern: String

        init(_ pattern: String) throws(TokkiError) {
            var status: Int32 = 0, errorOffset: Int32 = 0
            let utf16 = Array(pattern.utf16)
            let p = utf16.withUnsafeBufferPointer { tk_regex_open($0.baseAddress, Int32($0.count), &status, &errorOffset) }
            guard let p else {
                throw .invalidConfiguration("invalid regular expression at UTF-16 offset \(errorOffset) (\(ICU.errorName(status))): \(pattern)")
            }
            template = p
            self.pattern = pattern
        }

        deinit { tk_regex_close(template) }

        /// The byte ranges of all non-overlapping matches in well-formed UTF-8 `text`.
        func matches(in text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
            var status: Int32 = 0
            guard let re = tk_regex_clone(template, &status) else {
                throw .icu(operation: "uregex_clone", status: status, name: ICU.errorName(status))
            }
            defer { tk_regex_close(re) }
            var ranges = tk_ranges()
            defer { tk_ranges_free(&ranges) }
            let rc = tk_regex_find_all_utf8(re, text.baseAddress, Int64(text.count), &ranges, &status)
            if rc != 0 { throw .icu(operation: "uregex_findNext", status: status, name: ICU.errorName(status)) }
            var result: [Range<Int>] = []
            result.reserveCapacity(Int(ranges.count))
            if let pairs = ranges.pairs {
                for k in 0..<Int(ranges.count) { result.append(Int(pairs[2 * k])..<Int(pairs[2 * k + 1])) }
            }
            return result
        }
    }
}
