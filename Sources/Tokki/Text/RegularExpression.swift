/// An ICU regular expression over UTF-8 text (ICU's syntax: `\p{Hangul}`, possessive
/// quantifiers, look-around). Matching is bounded by ICU's time limit, so a pathological pattern
/// fails with an error instead of hanging.
///
/// ```swift
/// let re = try RegularExpression("무단\\s*전재")
/// try re.contains(Array("무단 전재 금지".utf8))   // true
/// ```
package struct RegularExpression: Sendable {
    let regex: ICU.Regex

    /// Compiles `pattern`.
    ///
    /// - Throws: ``TokkiError/invalidConfiguration(_:)`` naming the offset of a bad pattern.
    package init(_ pattern: String) throws(TokkiError) {
        regex = try ICU.Regex(pattern)
    }

    /// The pattern.
    package var pattern: String { regex.pattern }

    /// The byte ranges of all non-overlapping matches in well-formed UTF-8 `text`.
    package func matches(in text: [UInt8]) throws(TokkiError) -> [Range<Int>] {
        try text.withUnsafeBufferPointer { (b) throws(TokkiError) in try regex.matches(in: b) }
    }

    /// Whether the pattern matches anywhere in well-formed UTF-8 `text`.
    package func contains(_ text: [UInt8]) throws(TokkiError) -> Bool {
        try !matches(in: text).isEmpty
    }
}
