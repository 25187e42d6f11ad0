/// A Unicode normalization form computed by the system ICU.
///
/// ```swift
/// let nfkc = try ICUNormalizer(.nfkc)
/// try nfkc.normalize("①")   // "1"
/// ```
public struct ICUNormalizer: Normalizer {
    /// The normalization forms ICU provides.
    public enum Form: String, Sendable, CaseIterable {
        /// Canonical decomposition, then canonical composition.
        case nfc
        /// Canonical decomposition.
        case nfd
        /// Compatibility decomposition, then canonical composition.
        case nfkc
        /// Compatibility decomposition.
        case nfkd
        /// NFKC with case folding and removal of default-ignorable code points (NFKC_Casefold).
        case nfkcCasefold = "nfkc_cf"

        var icu: ICU.Form {
            switch self {
            case .nfc: .nfc
            case .nfd: .nfd
            case .nfkc: .nfkc
            case .nfkd: .nfkd
            case .nfkcCasefold: .nfkcCasefold
            }
        }
    }

    /// The form this normalizer applies.
    public let form: Form
    /// When set, only code points in this ICU UnicodeSet pattern are normalized; the rest
    /// pass through unchanged and act as normalization boundaries.
    public let filter: String?
    let handle: ICU.NormalizerHandle

    /// Creates a normalizer for `form`, optionally limited to the code points of the ICU
    /// UnicodeSet pattern `filter` (e.g. `"[^\\u3130-\\u318F]"` keeps compatibility jamo).
    ///
    /// - Throws: ``TokkiError/icu(operation:status:name:)`` when ICU rejects the pattern.
    public init(_ form: Form, filter: String? = nil) throws(TokkiError) {
        self.form = form
        self.filter = filter
        if let filter {
            handle = try ICU.NormalizerHandle(form: form.icu, filter: filter)
        } else {
            handle = try ICU.NormalizerHandle(form: form.icu)
        }
    }

    /// Whether `scalar` always starts a normalization segment and is unchanged on its own:
    /// a string made only of such characters is already normalized.
    public func isStableStarter(_ scalar: Unicode.Scalar) -> Bool { handle.isStableStarter(scalar.value) }

    /// Normalizes well-formed UTF-8 with ICU (a quick check skips text already normalized).
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        try handle.normalize(input)
    }
}
