/// One normalization stage: UTF-8 in, ``NormalizedText`` (output plus alignment) out.
///
/// Implementations are `Sendable` values, safe to share across threads.
///
/// ```swift
/// let korean = KoreanNormalizer()
/// try korean.normalize("수고ㄳ ①")   // "수고ㄳ ①" — NFKC would give "수곣 1"
/// ```
public protocol Normalizer: Sendable {
    /// Normalizes `input`, which must be well-formed UTF-8 (validate raw bytes first, or use
    /// ``normalize(bytes:)``). The result's alignment is relative to `input`.
    func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText
    /// Normalizes the output of an earlier stage; the result's alignment is relative to
    /// `text`'s original. The default runs ``normalize(utf8:)`` on `text.normalized` and
    /// composes the alignments; a stage that can tell it changes nothing may return `text`.
    func normalize(_ text: NormalizedText) throws(TokkiError) -> NormalizedText
}

extension Normalizer {
    /// Normalizes a string.
    public func normalize(_ string: String) throws(TokkiError) -> String {
        try normalizedText(string).string
    }

    /// Normalizes a string, keeping the alignment back to it.
    public func normalizedText(_ string: String) throws(TokkiError) -> NormalizedText {
        var s = string
        let r: Result<NormalizedText, TokkiError> = s.withUTF8 { buffer in
            do throws(TokkiError) { return .success(try normalize(utf8: buffer)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Normalizes raw bytes, first checking that they are well-formed UTF-8.
    ///
    /// - Throws: ``TokkiError/invalidUTF8(source:line:byteOffset:)`` naming the first bad byte.
    public func normalize(bytes: [UInt8]) throws(TokkiError) -> NormalizedText {
        let r: Result<NormalizedText, TokkiError> = bytes.withUnsafeBufferPointer { buffer in
            if let bad = UTF8Validation.firstInvalidOffset(in: buffer) {
                return .failure(.invalidUTF8(source: nil, line: nil, byteOffset: bad))
            }
            do throws(TokkiError) { return .success(try normalize(utf8: buffer)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Normalizes the output of an earlier stage; the result maps back to `text.original`.
    public func normalize(_ text: NormalizedText) throws(TokkiError) -> NormalizedText {
        let r: Result<NormalizedText, TokkiError> = text.normalized.withUnsafeBufferPointer { buffer in
            do throws(TokkiError) { return .success(try normalize(utf8: buffer)) } catch { return .failure(error) }
        }
        return text.followed(by: try r.get())
    }
}

/// Applies several normalizers in order; the alignment maps the final output to the input.
public struct NormalizerSequence: Normalizer {
    /// The stages, applied first to last.
    public let normalizers: [any Normalizer]

    /// Creates a sequence of normalization stages.
    public init(_ normalizers: [any Normalizer]) {
        self.normalizers = normalizers
    }

    /// Runs every stage in order.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        guard let first = normalizers.first else { return NormalizedText(unchanged: Array(input)) }
        // The first stage reads the input itself: nothing to compose.
        var text = try first.normalize(utf8: input)
        for stage in normalizers.dropFirst() {
            text = try stage.normalize(text)
        }
        return text
    }
}

extension NormalizerSequence {
    /// Writes a `{"type": "Sequence", "normalizers": […]}` normalizer whose stages `stages`
    /// write (each stage writes its own object).
    static func writeJSON(stages: [(inout JSONWriter) -> Void], to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "Sequence")
            o.member("normalizers") { w in w.array(stages.indices) { w, k in stages[k](&w) } }
        }
    }
}
