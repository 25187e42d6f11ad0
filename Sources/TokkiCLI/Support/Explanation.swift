import Tokki

/// Renders what a normalization changed, character by character.
enum Explanation {
    /// `U+AC00 HANGUL SYLLABLE GA` style label of one scalar.
    static func label(_ scalar: Unicode.Scalar) -> String {
        var hex = String(scalar.value, radix: 16, uppercase: true)
        while hex.count < 4 { hex = "0" + hex }
        let name = UnicodeNames.name(of: scalar) ?? "<control>"
        return "U+\(hex) \(name)"
    }

    static func labels(_ bytes: ArraySlice<UInt8>) -> String {
        let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
        if scalars.isEmpty { return "(removed)" }
        return scalars.map(label).joined(separator: " + ")
    }

    /// One header line per changed input line, then one line per change.
    static func describe(_ text: NormalizedText, line: Int) -> String {
        var s = "line \(line): \(visible(text.originalString)) → \(visible(text.string))\n"
        for edit in text.edits {
            let before = labels(text.original[edit.originalRange])
            let after = labels(text.normalized[edit.normalizedRange])
            s += "  \(before) → \(after)\n"
        }
        return s
    }

    /// Makes controls visible so the header line stays on one line.
    static func visible(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F) {
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
