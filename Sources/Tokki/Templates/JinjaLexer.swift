/// One token of a Jinja template, with its 1-based line and column for error messages.
struct JinjaToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case end
    }

    var kind: Kind
    var line: Int
    var column: Int
}

/// Splits a template into text and tag tokens the way jinja2's lexer does with
/// `trim_blocks=True, lstrip_blocks=True` (as transformers configures it):
///
/// - newlines (`\r\n`, `\r`) become `\n`, and one trailing newline of the source is dropped;
/// - `{%-` / `{{-` / `{#-` strip all whitespace before the tag, `-%}` / `-}}` / `-#}` all after;
/// - a block or comment tag alone on its line (only spaces or tabs before it) takes those with it,
///   unless written `{%+`;
/// - the first newline after a block or comment tag is removed, unless written `+%}`.
struct JinjaLexer {
    private let s: [Unicode.Scalar]
    private var pos = 0
    private var lineStarts: [Int] = [0]
    private(set) var tokens: [JinjaToken] = []

    static func tokenize(_ source: String) throws(ChatTemplateError) -> [JinjaToken] {
        var lexer = JinjaLexer(source)
        try lexer.run()
        return lexer.tokens
    }

    private init(_ source: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var it = source.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = it.next()
        while let c = pending {
            pending = it.next()
            if c == "\r" {
                scalars.append("\n")
                if pending == "\n" { pending = it.next() }
            } else {
                scalars.append(c)
            }
        }
        if scalars.last == "\n" { scalars.removeLast() }
        s = scalars
        for (i, c) in s.enumerated() where c == "\n" { lineStarts.append(i + 1) }
    }

    private func location(_ p: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= p { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, p - lineStarts[lo] + 1)
    }

    private func error(_ message: String, at p: Int) -> ChatTemplateError {
        let (l, c) = location(p)
        return .syntax(line: l, column: c, message: message)
    }

    private mutating func emit(_ kind: JinjaToken.Kind, at p: Int) {
        let (l, c) = location(p)
        tokens.append(JinjaToken(kind: kind, line: l, column: c))
    }

    private func at(_ p: Int) -> Unicode.Scalar? { p < s.count ? s[p] : nil }

    private mutating func run() throws(ChatTemplateError) {
        var lineStarting = true
        while pos < s.count {
            // Find the next tag opener.
            var t = pos
            var opener: Unicode.Scalar? = nil
            while t + 1 < s.count {
                if s[t] == "{", s[t + 1] == "{" || s[t + 1] == "%" || s[t + 1] == "#" { opener = s[t + 1]; break }
                t += 1
            }
            guard let kind = opener else {
                emitText(pos, s.count)
                return
            }
            let modifier = at(t + 2)
            var textEnd = t
            if modifier == "-" {
                while textEnd > pos, JinjaLexer.isSpace(s[textEnd - 1]) { textEnd -= 1 }
            } else if kind != "{", modifier != "+" {
                var lineStart = textEnd
                while lineStart > pos, s[lineStart - 1] != "\n" { lineStart -= 1 }
                if lineStart > pos || lineStarting {
                    if s[lineStart..<textEnd].allSatisfy({ $0 == " " || $0 == "\t" }) { textEnd = lineStart }
                }
            }
            emitText(pos, textEnd)
            var p = t + 2
            if modifier == "-" || modifier == "+" { p += 1 }
            if kind == "#" {
                // Comment: skip to the closing `#}`.
                var e = p
                while e + 1 < s.count, !(s[e] == "#" && s[e + 1] == "}") { e += 1 }
                guard e + 1 < s.count else { throw error("missing end of comment tag", at: t) }
                pos = e + 2
                if e > p, s[e - 1] == "-" {
                    skipWhitespace()
                } else if !(e > p && s[e - 1] == "+"), at(pos) == "\n" {
                    pos += 1
                }
                lineStarting = pos > 0 && s[pos - 1] == "\n"
                continue
            }
            if kind == "%", let raw = rawBlock(from: p) {
                try lexRaw(rawBodyStart: raw, tagStart: t)
                lineStarting = pos > 0 && s[pos - 1] == "\n"
                continue
            }
            emit(kind == "{" ? .variableBegin : .blockBegin, at: t)
            pos = p
            try lexTag(isBlock: kind == "%", start: t)
            lineStarting = pos > 0 && s[pos - 1] == "\n"
        }
    }

    private mutating func emitText(_ a: Int, _ b: Int) {
        guard a < b else { return }
        var str = ""
        str.unicodeScalars.append(contentsOf: s[a..<b])
        emit(.text(str), at: a)
    }

    private mutating func skipWhitespace() {
        while pos < s.count, JinjaLexer.isSpace(s[pos]) { pos += 1 }
    }

    /// When the block starting at `p` is `{% raw %}`, the position just after its closing tag.
    private func rawBlock(from p: Int) -> Int? {
        var q = p
        while q < s.count, JinjaLexer.isSpace(s[q]) { q += 1 }
        guard q + 3 <= s.count, String(String.UnicodeScalarView(s[q..<q + 3])) == "raw" else { return nil }
        q += 3
        while q < s.count, JinjaLexer.isSpace(s[q]) { q += 1 }
        if at(q) == "-" { q += 1 }
        guard at(q) == "%", at(q + 1) == "}" else { return nil }
        return q + 2
    }

    private mutating func lexRaw(rawBodyStart: Int, tagStart: Int) throws(ChatTemplateError) {
        // Find `{% endraw %}` (with optional `-`).
        var q = rawBodyStart
        var bodyStart = rawBodyStart
        if s[rawBodyStart - 3] == "-" {
            while bodyStart < s.count, JinjaLexer.isSpace(s[bodyStart]) { bodyStart += 1 }
            q = bodyStart
        } else if at(bodyStart) == "\n" {
            bodyStart += 1
            q = bodyStart
        }
        while q + 1 < s.count {
            if s[q] == "{", s[q + 1] == "%" {
                var r = q + 2
                let strip = at(r) == "-"
                if strip || at(r) == "+" { r += 1 }
                while r < s.count, JinjaLexer.isSpace(s[r]) { r += 1 }
                if r + 6 <= s.count, String(String.UnicodeScalarView(s[r..<r + 6])) == "endraw" {
                    r += 6
                    while r < s.count, JinjaLexer.isSpace(s[r]) { r += 1 }
                    let closeStrip = at(r) == "-"
                    if closeStrip || at(r) == "+" { r += 1 }
                    guard at(r) == "%", at(r + 1) == "}" else { throw error("expected '%}' after endraw", at: r) }
                    var bodyEnd = q
                    if strip { while bodyEnd > bodyStart, JinjaLexer.isSpace(s[bodyEnd - 1]) { bodyEnd -= 1 } }
                    emitText(bodyStart, bodyEnd)
                    pos = r + 2
                    if closeStrip { skipWhitespace() } else if at(pos) == "\n" { pos += 1 }
                    return
                }
            }
            q += 1
        }
        throw error("missing '{% endraw %}'", at: tagStart)
    }

    private mutating func lexTag(isBlock: Bool, start: Int) throws(ChatTemplateError) {
        var depth = 0
        while true {
            skipWhitespace()
            guard pos < s.count else { throw error("unexpected end of template, expected '\(isBlock ? "%}" : "}}")'", at: start) }
            let c = s[pos]
            if depth == 0 {
                let close: Unicode.Scalar = isBlock ? "%" : "}"
                var q = pos
                let mod = s[q]
                if mod == "-" || mod == "+" { q += 1 }
                if at(q) == close, at(q + 1) == "}" {
                    emit(isBlock ? .blockEnd : .variableEnd, at: pos)
                    pos = q + 2
                    if mod == "-" {
                        skipWhitespace()
                    } else if isBlock, mod != "+", at(pos) == "\n" {
                        pos += 1
                    }
                    return
                }
            }
            if JinjaLexer.isNameStart(c) {
                let a = pos
                while pos < s.count, JinjaLexer.isNameContinue(s[pos]) { pos += 1 }
                emit(.name(String(String.UnicodeScalarView(s[a..<pos]))), at: a)
            } else if JinjaLexer.isDigit(c) {
                try lexNumber()
            } else if c == "'" || c == "\"" {
                try lexString(quote: c)
            } else {
                let a = pos
                let two = pos + 1 < s.count ? String(String.UnicodeScalarView(s[pos..<pos + 2])) : ""
                if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
                    pos += 2
                    emit(.op(two), at: a)
                } else if "+-/*%~<>=.:|,()[]{};".unicodeScalars.contains(c) {
                    pos += 1
                    if c == "(" || c == "[" || c == "{" { depth += 1 }
                    if c == ")" || c == "]" || c == "}" {
                        guard depth > 0 else { throw error("unexpected '\(c)'", at: a) }
                        depth -= 1
                    }
                    emit(.op(String(c)), at: a)
                } else {
                    throw error("unexpected character '\(c)'", at: a)
                }
            }
        }
    }

    private mutating func lexNumber() throws(ChatTemplateError) {
        let a = pos
        func digits(_ p: inout Int) {
            while p < s.count, JinjaLexer.isDigit(s[p]) || (s[p] == "_" && p + 1 < s.count && JinjaLexer.isDigit(s[p + 1])) { p += 1 }
        }
        var p = pos
        digits(&p)
        var isFloat = false
        if at(p) == ".", let d = at(p + 1), JinjaLexer.isDigit(d) {
            isFloat = true
            p += 1
            digits(&p)
        }
        if at(p) == "e" || at(p) == "E" {
            var q = p + 1
            if at(q) == "+" || at(q) == "-" { q += 1 }
            if let d = at(q), JinjaLexer.isDigit(d) {
                isFloat = true
                p = q
                digits(&p)
            }
        }
        let text = String(String.UnicodeScalarView(s[a..<p])).replacingOccurrencesOfUnderscore()
        pos = p
        if isFloat {
            guard let v = Double(text) else { throw error("invalid number '\(text)'", at: a) }
            emit(.float(v), at: a)
        } else {
            guard let v = Int(text) else { throw error("integer '\(text)' is too large", at: a) }
            emit(.integer(v), at: a)
        }
    }

    /// A string literal, unescaped like Python's `unicode-escape` codec (which jinja2 uses).
    private mutating func lexString(quote: Unicode.Scalar) throws(ChatTemplateError) {
        let a = pos
        pos += 1
        var out = String.UnicodeScalarView()
        while true {
            guard pos < s.count else { throw error("unterminated string", at: a) }
            let c = s[pos]
            if c == quote { pos += 1; break }
            if c != "\\" { out.append(c); pos += 1; continue }
            guard pos + 1 < s.count else { throw error("unterminated string", at: a) }
            let e = s[pos + 1]
            pos += 2
            switch e {
            case "\n": break
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "0"..."7":
                var v = UInt32(e.value - 48)
                var n = 1
                while n < 3, let d = at(pos), ("0"..."7").contains(d) { v = v * 8 + (d.value - 48); pos += 1; n += 1 }
                guard let u = Unicode.Scalar(v) else { throw error("invalid octal escape", at: pos) }
                out.append(u)
            case "x", "u", "U":
                let n = e == "x" ? 2 : e == "u" ? 4 : 8
                var v: UInt32 = 0
                for _ in 0..<n {
                    guard let d = at(pos), let h = JinjaLexer.hexValue(d) else {
                        throw error("truncated \\\(e) escape in string", at: pos)
                    }
                    v = v &* 16 &+ h
                    pos += 1
                }
                guard let u = Unicode.Scalar(v) else { throw error("invalid \\\(e) escape in string", at: pos) }
                out.append(u)
            default:
                out.append("\\")
                out.append(e)
            }
        }
        emit(.string(String(out)), at: a)
    }

    static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 48
        case "a"..."f": c.value - 87
        case "A"..."F": c.value - 55
        default: nil
        }
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
    static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 65 && c.value <= 90) || (c.value >= 97 && c.value <= 122) || c == "_"
            || (c.value >= 0x80 && c.properties.isXIDStart)
    }
    static func isNameContinue(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || isDigit(c) || (c.value >= 0x80 && c.properties.isXIDContinue)
    }

    /// Python's `str.isspace` (what `str.strip()` and the regex `\s` remove).
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}

extension String {
    fileprivate func replacingOccurrencesOfUnderscore() -> String {
        String(unicodeScalars.filter { $0 != "_" })
    }
}
