#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Python string operations on Unicode scalars (Python's code points).
enum JinjaStrings {
    /// Python's `str` comparison: code point by code point, which is the order (and equality)
    /// of the UTF-8 bytes. Negative, zero or positive.
    static func compare(_ x: String, _ y: String) -> Int {
        let r = x.utf8.withContiguousStorageIfAvailable { a in
            y.utf8.withContiguousStorageIfAvailable { b in compareBytes(a, b) }
        }
        if let r, let r { return r }
        return x.utf8.elementsEqual(y.utf8) ? 0 : x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
    }

    private static func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let p = a.baseAddress, let q = b.baseAddress {
            let c = memcmp(p, q, n)
            if c != 0 { return Int(c) }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Python's `needle in haystack` on `str`: a run of code points is a run of UTF-8 bytes
    /// starting on a character (UTF-8 is self-synchronising).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        let r = haystack.utf8.withContiguousStorageIfAvailable { h in
            needle.utf8.withContiguousStorageIfAvailable { n -> Bool in
                guard !n.isEmpty else { return true }
                guard let hp = h.baseAddress, let np = n.baseAddress, h.count >= n.count else { return false }
                // Candidates by memchr of the first byte, then memcmp of the rest.
                let first = Int32(np[0]), last = h.count - n.count
                var i = 0
                while i <= last {
                    guard let hit = memchr(hp + i, first, last - i + 1) else { return false }
                    i = UnsafeRawPointer(hit) - UnsafeRawPointer(hp)
                    if memcmp(hp + i, np, n.count) == 0 { return true }
                    i += 1
                }
                return false
            }
        }
        if let r, let r { return r }
        return find(Array(haystack.unicodeScalars), Array(needle.unicodeScalars), from: 0) != nil
    }

    static func find(_ h: [Unicode.Scalar], _ n: [Unicode.Scalar], from: Int) -> Int? {
        if n.isEmpty { return from <= h.count ? from : nil }
        guard h.count >= n.count else { return nil }
        var i = max(0, from)
        while i + n.count <= h.count {
            if h[i] == n[0] && h[i..<i + n.count].elementsEqual(n) { return i }
            i += 1
        }
        return nil
    }

    static func strip(_ s: String, _ chars: String?, left: Bool, right: Bool) -> String {
        let sc = Array(s.unicodeScalars)
        let set = chars.map { Set($0.unicodeScalars) }
        func drop(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? JinjaLexer.isSpace(c) }
        var a = 0, b = sc.count
        if left { while a < b, drop(sc[a]) { a += 1 } }
        if right { while b > a, drop(sc[b - 1]) { b -= 1 } }
        return String(String.UnicodeScalarView(sc[a..<b]))
    }

    static func split(_ s: String, _ sep: String?, _ maxsplit: Int) throws(ChatTemplateError) -> [JValue] {
        let sc = Array(s.unicodeScalars)
        var out: [JValue] = []
        func str(_ r: ArraySlice<Unicode.Scalar>) -> JValue { .string(String(String.UnicodeScalarView(r))) }
        guard let sep else {
            var i = 0
            while true {
                while i < sc.count, JinjaLexer.isSpace(sc[i]) { i += 1 }
                if i >= sc.count { break }
                if maxsplit >= 0 && out.count == maxsplit {
                    var e = sc.count
                    while e > i, JinjaLexer.isSpace(sc[e - 1]) { e -= 1 }
                    out.append(str(sc[i..<e]))
                    break
                }
                let a = i
                while i < sc.count, !JinjaLexer.isSpace(sc[i]) { i += 1 }
                out.append(str(sc[a..<i]))
            }
            return out
        }
        let n = Array(sep.unicodeScalars)
        guard !n.isEmpty else { throw .type("empty separator") }
        var a = 0
        while maxsplit < 0 || out.count < maxsplit, let j = find(sc, n, from: a) {
            out.append(str(sc[a..<j]))
            a = j + n.count
        }
        out.append(str(sc[a...]))
        return out
    }

    static func replace(_ s: String, _ old: String, _ new: String, _ count: Int) -> String {
        let sc = Array(s.unicodeScalars), o = Array(old.unicodeScalars), nw = Array(new.unicodeScalars)
        var out = String.UnicodeScalarView()
        var done = 0
        if o.isEmpty {
            for (i, c) in sc.enumerated() {
                if count < 0 || done < count { out.append(contentsOf: nw); done += 1 }
                _ = i
                out.append(c)
            }
            if count < 0 || done < count { out.append(contentsOf: nw) }
            return String(out)
        }
        var a = 0
        while count < 0 || done < count, let j = find(sc, o, from: a) {
            out.append(contentsOf: sc[a..<j])
            out.append(contentsOf: nw)
            a = j + o.count
            done += 1
        }
        out.append(contentsOf: sc[a...])
        return String(out)
    }

    static func splitlines(_ s: String, keepends: Bool = false) -> [String] {
        let sc = Array(s.unicodeScalars)
        var out: [String] = []
        var a = 0, i = 0
        while i < sc.count {
            let c = sc[i]
            var brk = 0
            switch c.value {
            case 0x0D: brk = (i + 1 < sc.count && sc[i + 1] == "\n") ? 2 : 1
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: brk = 1
            default: break
            }
            if brk > 0 {
                out.append(String(String.UnicodeScalarView(sc[a..<(keepends ? i + brk : i)])))
                i += brk
                a = i
            } else {
                i += 1
            }
        }
        if a < sc.count { out.append(String(String.UnicodeScalarView(sc[a...]))) }
        return out
    }

    static func isCased(_ c: Unicode.Scalar) -> Bool {
        c.properties.isLowercase || c.properties.isUppercase || c.properties.generalCategory == .titlecaseLetter
    }

    /// Python's `str.title()`.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            out += previousCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
            previousCased = isCased(c)
        }
        return out
    }

    /// Python's `str.capitalize()`.
    static func capitalize(_ s: String) -> String {
        var out = ""
        for (i, c) in s.unicodeScalars.enumerated() {
            out += i == 0 ? c.properties.titlecaseMapping : c.properties.lowercaseMapping
        }
        return out
    }

    static func upper(_ s: String) -> String { s.unicodeScalars.map(\.properties.uppercaseMapping).joined() }
    static func lower(_ s: String) -> String { s.unicodeScalars.map(\.properties.lowercaseMapping).joined() }
}

/// Methods of strings, dicts and lists that templates call (`s.strip()`, `d.items()`).
enum JinjaMethods {
    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower",
        "title", "capitalize", "replace", "find", "rfind", "index", "count", "join", "isdigit", "isalpha",
        "isalnum", "isspace", "isupper", "islower", "format", "removeprefix", "removesuffix",
    ]
    static let dictMethods: Set<String> = ["get", "items", "keys", "values"]
    static let listMethods: Set<String> = ["index", "count"]
    static let unsafeListMethods: Set<String> = ["append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"]

    static func call(_ obj: JValue, _ name: String, _ args: JinjaEvaluator.Arguments, _ ev: JinjaEvaluator) throws(ChatTemplateError) -> JValue {
        switch obj {
        case .string(let s): return try string(s, name, args)
        case .dict(let d):
            switch name {
            case "get":
                guard case .string(let k)? = args.get(0, "key") else { return args.get(1, "default") ?? .none }
                return d[k] ?? args.get(1, "default") ?? .none
            case "items": return .list(d.members.map { .tuple([.string($0.key), $0.value]) })
            case "keys": return .list(d.keys.map { .string($0) })
            case "values": return .list(d.members.map(\.value))
            default: break
            }
        case .list(let a), .tuple(let a):
            guard let x = args.get(0, "value") else { throw .type("\(name)() takes exactly one argument") }
            if name == "count" { return .int(a.filter { JinjaOperators.equal($0, x) }.count) }
            if let i = a.firstIndex(where: { JinjaOperators.equal($0, x) }) { return .int(i) }
            throw .type("\(x.repr) is not in list")
        default: break
        }
        throw .type("'\(obj.typeName)' object has no method '\(name)'")
    }

    private static func string(_ s: String, _ name: String, _ args: JinjaEvaluator.Arguments) throws(ChatTemplateError) -> JValue {
        func optString(_ i: Int, _ n: String) throws(ChatTemplateError) -> String? {
            switch args.get(i, n) {
            case nil, .none?: return nil
            case .string(let x)?: return x
            case let v?: throw .type("\(name) arg must be None or str, not \(v.typeName)")
            }
        }
        func needString(_ i: Int, _ n: String) throws(ChatTemplateError) -> String {
            guard case .string(let x)? = args.get(i, n) else { throw .type("\(name)() argument \(i + 1) must be str") }
            return x
        }
        let sc = Array(s.unicodeScalars)
        switch name {
        case "strip": return .string(JinjaStrings.strip(s, try optString(0, "chars"), left: true, right: true))
        case "lstrip": return .string(JinjaStrings.strip(s, try optString(0, "chars"), left: true, right: false))
        case "rstrip": return .string(JinjaStrings.strip(s, try optString(0, "chars"), left: false, right: true))
        case "split":
            return .list(try JinjaStrings.split(s, try optString(0, "sep"), args.get(1, "maxsplit")?.integer ?? -1))
        case "rsplit":
            let maxsplit = args.get(1, "maxsplit")?.integer ?? -1
            if maxsplit < 0 { return .list(try JinjaStrings.split(s, try optString(0, "sep"), -1)) }
            let rev = String(String.UnicodeScalarView(sc.reversed()))
            let sep = try optString(0, "sep").map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
            let parts = try JinjaStrings.split(rev, sep, maxsplit)
            return .list(parts.reversed().map { .string(String(String.UnicodeScalarView($0.str.unicodeScalars.reversed()))) })
        case "splitlines": return .list(JinjaStrings.splitlines(s, keepends: args.get(0, "keepends")?.truthy ?? false).map { .string($0) })
        case "startswith", "endswith":
            let prefixes: [String]
            switch args.get(0, "prefix") {
            case .string(let p)?: prefixes = [p]
            case .tuple(let t)?, .list(let t)?: prefixes = t.map(\.str)
            default: throw .type("\(name) first arg must be str or a tuple of str")
            }
            return .bool(prefixes.contains { p in
                let ps = Array(p.unicodeScalars)
                return name == "startswith" ? sc.starts(with: ps) : sc.reversed().starts(with: ps.reversed())
            })
        case "upper": return .string(JinjaStrings.upper(s))
        case "lower": return .string(JinjaStrings.lower(s))
        case "title": return .string(JinjaStrings.title(s))
        case "capitalize": return .string(JinjaStrings.capitalize(s))
        case "replace":
            return .string(JinjaStrings.replace(s, try needString(0, "old"), try needString(1, "new"), args.get(2, "count")?.integer ?? -1))
        case "find", "index":
            let n = Array(try needString(0, "sub").unicodeScalars)
            if let i = JinjaStrings.find(sc, n, from: 0) { return .int(i) }
            if name == "index" { throw .type("substring not found") }
            return .int(-1)
        case "rfind":
            let n = Array(try needString(0, "sub").unicodeScalars)
            var last = -1, from = 0
            while let i = JinjaStrings.find(sc, n, from: from) { last = i; from = i + 1; if from > sc.count { break } }
            return .int(last)
        case "count":
            let n = Array(try needString(0, "sub").unicodeScalars)
            if n.isEmpty { return .int(sc.count + 1) }
            var c = 0, from = 0
            while let i = JinjaStrings.find(sc, n, from: from) { c += 1; from = i + n.count }
            return .int(c)
        case "join":
            guard let items = args.get(0, "iterable")?.iterated else { throw .type("can only join an iterable") }
            var parts: [String] = []
            for i in items {
                guard case .string(let x) = i else { throw .type("sequence item \(parts.count): expected str instance, \(i.typeName) found") }
                parts.append(x)
            }
            return .string(parts.joined(separator: s))
        case "isdigit": return .bool(!sc.isEmpty && sc.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
        case "isalpha": return .bool(!sc.isEmpty && sc.allSatisfy { $0.properties.isAlphabetic })
        case "isalnum": return .bool(!sc.isEmpty && sc.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isspace": return .bool(!sc.isEmpty && sc.allSatisfy(JinjaLexer.isSpace))
        case "isupper": return .bool(sc.contains(where: JinjaStrings.isCased) && JinjaStrings.upper(s) == s)
        case "islower": return .bool(sc.contains(where: JinjaStrings.isCased) && JinjaStrings.lower(s) == s)
        case "removeprefix":
            let p = Array(try needString(0, "prefix").unicodeScalars)
            return .string(sc.starts(with: p) ? String(String.UnicodeScalarView(sc[p.count...])) : s)
        case "removesuffix":
            let p = Array(try needString(0, "suffix").unicodeScalars)
            return .string(!p.isEmpty && sc.reversed().starts(with: p.reversed()) ? String(String.UnicodeScalarView(sc[..<(sc.count - p.count)])) : s)
        case "format":
            return .string(try format(s, args))
        default:
            throw .type("'str' object has no method '\(name)'")
        }
    }

    /// `str.format` with `{}` / `{0}` / `{name}` fields (no format specs).
    static func format(_ s: String, _ args: JinjaEvaluator.Arguments) throws(ChatTemplateError) -> String {
        let sc = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0, auto = 0
        while i < sc.count {
            let c = sc[i]
            if c == "{" {
                if i + 1 < sc.count, sc[i + 1] == "{" { out.append("{"); i += 2; continue }
                guard let close = sc[i...].firstIndex(of: "}") else { throw .type("Single '{' encountered in format string") }
                let field = String(String.UnicodeScalarView(sc[(i + 1)..<close]))
                let v: JValue?
                if field.isEmpty { v = args.positional.indices.contains(auto) ? args.positional[auto] : nil; auto += 1 }
                else if let n = Int(field) { v = args.positional.indices.contains(n) ? args.positional[n] : nil }
                else { v = args.keyword[field] }
                guard let v else { throw .type("Replacement index \(field) out of range for positional args tuple") }
                out.append(contentsOf: v.str.unicodeScalars)
                i = close + 1
            } else if c == "}" {
                guard i + 1 < sc.count, sc[i + 1] == "}" else { throw .type("Single '}' encountered in format string") }
                out.append("}")
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(out)
    }
}
