/// jinja2's built-in filters and tests (as of jinja2 3.1), plus transformers' `tojson`.
enum JinjaFilters {
    typealias Args = JinjaEvaluator.Arguments

    static func apply(_ name: String, _ v: JValue, _ args: Args, _ ev: JinjaEvaluator) throws(ChatTemplateError) -> JValue {
        switch name {
        case "default", "d":
            let boolean = args.get(1, "boolean")?.truthy ?? false
            if v.isUndefined || (boolean && !v.truthy) { return args.get(0, "default_value") ?? .string("") }
            return v
        case "tojson":
            var o = PythonFormat.JSONOptions()
            o.asciiOnly = args.get(0, "ensure_ascii")?.truthy ?? false
            switch args.get(1, "indent") {
            case .int(let n)?: o.indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: o.indent = s
            default: break
            }
            if o.indent != nil { o.itemSeparator = "," }
            if case .tuple(let seps)? = args.get(2, "separators"), seps.count == 2 {
                o.itemSeparator = seps[0].str
                o.keySeparator = seps[1].str
            } else if case .list(let seps)? = args.get(2, "separators"), seps.count == 2 {
                o.itemSeparator = seps[0].str
                o.keySeparator = seps[1].str
            }
            o.sortKeys = args.get(3, "sort_keys")?.truthy ?? false
            var out = ""
            try PythonFormat.json(v, o, into: &out)
            return .string(out)
        case "length", "count":
            switch v {
            case .undefined: return .int(0)
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let a), .tuple(let a): return .int(a.count)
            case .dict(let d): return .int(d.count)
            default: throw .type("object of type '\(v.typeName)' has no len()")
            }
        case "string": return .string(v.str)
        case "safe": return .string(v.str)
        case "e", "escape", "forceescape":
            var out = ""
            for c in v.str.unicodeScalars {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(c)
                }
            }
            return .string(out)
        case "trim":
            let chars: String? = if case .string(let c)? = args.get(0, "chars") { c } else { nil }
            return .string(JinjaStrings.strip(v.str, chars, left: true, right: true))
        case "upper": return .string(JinjaStrings.upper(v.str))
        case "lower": return .string(JinjaStrings.lower(v.str))
        case "capitalize": return .string(JinjaStrings.capitalize(v.str))
        case "title":
            // jinja2 splits before runs of `-`, whitespace and opening brackets, then upper-cases each piece's first letter.
            var out = ""
            var atStart = true
            for c in v.str.unicodeScalars {
                let sep = c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || JinjaLexer.isSpace(c)
                if sep { out.unicodeScalars.append(c); atStart = true; continue }
                out += atStart ? c.properties.uppercaseMapping : c.properties.lowercaseMapping
                atStart = false
            }
            return .string(out)
        case "replace":
            guard case .string(let old)? = args.get(0, "old"), let new = args.get(1, "new") else { throw .type("replace needs old and new strings") }
            return .string(JinjaStrings.replace(v.str, old, new.str, args.get(2, "count")?.integer ?? -1))
        case "first":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            return items.first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            return items.last ?? .undefined(hint: "No last item, sequence was empty.")
        case "list":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            return .list(items)
        case "reverse":
            if case .string(let s) = v { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            guard let items = v.iterated else { throw .type("argument to reverse() must be a sequence") }
            return .list(items.reversed())
        case "join":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            let sep = args.get(0, "d")?.str ?? ""
            var parts: [String] = []
            for i in items {
                if case .string(let attr)? = args.get(1, "attribute") { parts.append(try attribute(i, attr, ev).str) } else { parts.append(i.str) }
            }
            return .string(parts.joined(separator: sep))
        case "int":
            let dflt = args.get(0, "default") ?? .int(0)
            switch v {
            case .int, .bool: return .int(v.integer ?? 0)
            case .double(let d): return d.isFinite && abs(d) < 9.2e18 ? .int(Int(d)) : dflt
            case .string(let s):
                let t = JinjaStrings.strip(s, nil, left: true, right: true).replacingUnderscores()
                if let i = Int(t, radix: args.get(1, "base")?.integer ?? 10) { return .int(i) }
                if let d = Double(t), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
                return dflt
            default: return dflt
            }
        case "float":
            let dflt = args.get(0, "default") ?? .double(0)
            switch v {
            case .int, .bool, .double: return .double(v.numeric ?? 0)
            case .string(let s): return Double(JinjaStrings.strip(s, nil, left: true, right: true)).map { .double($0) } ?? dflt
            default: return dflt
            }
        case "abs":
            switch v {
            case .int(let i): return i == Int.min ? .double(Double(i).magnitude) : .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(d.magnitude)
            default: throw .type("bad operand type for abs(): '\(v.typeName)'")
            }
        case "round":
            let precision = args.get(0, "precision")?.integer ?? 0
            let method = args.get(1, "method")?.str ?? "common"
            guard let x = v.numeric else { throw .type("type \(v.typeName) doesn't define __round__ method") }
            let scale = JinjaOperators.pow(10, Double(precision))
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven
            if method == "common", case .int = v { return v }
            return .double((x * scale).rounded(rule) / scale)
        case "items":
            switch v {
            case .undefined: return .list([])
            case .dict(let d): return .list(d.members.map { .tuple([.string($0.key), $0.value]) })
            default: throw .type("Can only get item pairs from a mapping.")
            }
        case "dictsort":
            guard case .dict(let d) = v else { throw .type("dictsort needs a mapping") }
            let caseSensitive = args.get(0, "case_sensitive")?.truthy ?? false
            let byValue = args.get(1, "by")?.str == "value"
            let reverse = args.get(2, "reverse")?.truthy ?? false
            let items = try sorted(d.members.map { JValue.tuple([.string($0.key), $0.value]) }, reverse: reverse) { (t) throws(ChatTemplateError) -> JValue in
                guard case .tuple(let p) = t else { return t }
                return fold(byValue ? p[1] : p[0], caseSensitive)
            }
            return .list(items)
        case "sort":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            let reverse = args.get(0, "reverse")?.truthy ?? false
            let caseSensitive = args.get(1, "case_sensitive")?.truthy ?? false
            let attr: String? = if case .string(let a)? = args.get(2, "attribute") { a } else { nil }
            return .list(try sorted(items, reverse: reverse) { (x) throws(ChatTemplateError) -> JValue in
                fold(try attr.map { (a) throws(ChatTemplateError) -> JValue in try attribute(x, a, ev) } ?? x, caseSensitive)
            })
        case "unique":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            let caseSensitive = args.get(0, "case_sensitive")?.truthy ?? false
            let attr: String? = if case .string(let a)? = args.get(1, "attribute") { a } else { nil }
            var seen: [JValue] = [], out: [JValue] = []
            for i in items {
                let key = fold(try attr.map { (a) throws(ChatTemplateError) -> JValue in try attribute(i, a, ev) } ?? i, caseSensitive)
                if !seen.contains(where: { JinjaOperators.equal($0, key) }) { seen.append(key); out.append(i) }
            }
            return .list(out)
        case "min", "max":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            let caseSensitive = args.get(0, "case_sensitive")?.truthy ?? false
            guard var best = items.first else { return .undefined(hint: "No aggregated item, sequence was empty.") }
            for i in items.dropFirst() {
                let c = try JinjaOperators.order(fold(i, caseSensitive), fold(best, caseSensitive), "<")
                if name == "min" ? c < 0 : c > 0 { best = i }
            }
            return best
        case "sum":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            var total = args.get(1, "start") ?? .int(0)
            for i in items {
                let x = if case .string(let a)? = args.get(0, "attribute") { try attribute(i, a, ev) } else { i }
                total = try JinjaOperators.binary("+", total, x, limit: ev.limits.maxOutputBytes)
            }
            return total
        case "map":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            if case .string(let attr)? = args.keyword["attribute"] {
                return .list(try items.map { (i) throws(ChatTemplateError) -> JValue in
                    let r = try attribute(i, attr, ev)
                    if r.isUndefined, let d = args.keyword["default"] { return d }
                    return r
                })
            }
            guard case .string(let filter)? = args.positional.first else { throw .type("map needs a filter name or attribute=") }
            var rest = args
            rest.positional.removeFirst()
            return .list(try items.map { (i) throws(ChatTemplateError) -> JValue in try apply(filter, i, rest, ev) })
        case "select", "reject", "selectattr", "rejectattr":
            guard let items = v.iterated else { throw .type("'\(v.typeName)' object is not iterable") }
            let byAttr = name.hasSuffix("attr")
            var rest = args.positional
            var attr = ""
            if byAttr {
                guard case .string(let a)? = rest.first else { throw .type("\(name) needs an attribute name") }
                attr = a
                rest.removeFirst()
            }
            let testName: String? = if case .string(let t)? = rest.first { t } else { nil }
            if !rest.isEmpty { rest.removeFirst() }
            let keep = name.hasPrefix("select")
            var out: [JValue] = []
            for i in items {
                let x = byAttr ? try attribute(i, attr, ev) : i
                let r = try testName.map { (t) throws(ChatTemplateError) -> Bool in try test(t, x, rest, ev) } ?? x.truthy
                if r == keep { out.append(i) }
            }
            return .list(out)
        case "batch":
            guard let items = v.iterated, let n = args.get(0, "linecount")?.integer, n > 0 else { throw .type("batch needs a positive line count") }
            var out: [JValue] = [], cur: [JValue] = []
            for i in items {
                cur.append(i)
                if cur.count == n { out.append(.list(cur)); cur = [] }
            }
            if !cur.isEmpty {
                if let fill = args.get(1, "fill_with"), !fill.isUndefined, case .none = fill {} else if let fill = args.get(1, "fill_with") {
                    while cur.count < n { cur.append(fill) }
                }
                out.append(.list(cur))
            }
            return .list(out)
        case "indent":
            var indention = "    "
            switch args.get(0, "width") {
            case .int(let n)?: indention = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indention = s
            default: break
            }
            let first = args.get(1, "first")?.truthy ?? false
            let blank = args.get(2, "blank")?.truthy ?? false
            let lines = JinjaStrings.splitlines(v.str + "\n")
            var rv: String
            if blank {
                rv = lines.joined(separator: "\n" + indention)
            } else {
                rv = lines.first ?? ""
                if lines.count > 1 {
                    rv += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : indention + $0 }.joined(separator: "\n")
                }
            }
            if first { rv = indention + rv }
            return .string(rv)
        case "wordcount":
            var count = 0, inWord = false
            for c in v.str.unicodeScalars {
                let w = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if w && !inWord { count += 1 }
                inWord = w
            }
            return .int(count)
        case "attr":
            return try ev.getAttribute(v, args.get(0, "name")?.str ?? "")
        case "format":
            return .string(try printf(v.str, args.positional))
        case "center":
            let width = args.get(0, "width")?.integer ?? 80
            let s = v.str
            let n = s.unicodeScalars.count
            guard width > n else { return .string(s) }
            let total = width - n
            let left = total / 2 + (total & width & 1)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: total - left))
        default:
            throw .type("No filter named '\(name)'.")
        }
    }

    /// `value.attr.sub` the way jinja2's `make_attrgetter` reads it (items first, digits as indices).
    static func attribute(_ v: JValue, _ path: String, _ ev: JinjaEvaluator) throws(ChatTemplateError) -> JValue {
        var cur = v
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            let key: JValue = Int(part).map { .int($0) } ?? .string(String(part))
            cur = try ev.getItem(cur, key)
        }
        return cur
    }

    private static func fold(_ v: JValue, _ caseSensitive: Bool) -> JValue {
        if !caseSensitive, case .string(let s) = v { return .string(JinjaStrings.lower(s)) }
        return v
    }

    private static func sorted(_ items: [JValue], reverse: Bool, key: (JValue) throws(ChatTemplateError) -> JValue) throws(ChatTemplateError) -> [JValue] {
        var keyed: [(JValue, JValue, Int)] = []
        for (n, i) in items.enumerated() { keyed.append((try key(i), i, n)) }
        // Stable merge sort so that a comparison error can be thrown.
        func less(_ a: (JValue, JValue, Int), _ b: (JValue, JValue, Int)) throws(ChatTemplateError) -> Bool {
            let c = try JinjaOperators.order(a.0, b.0, "<")
            if c != 0 { return reverse ? c > 0 : c < 0 }
            return a.2 < b.2
        }
        var a = keyed
        var width = 1
        while width < a.count {
            var merged: [(JValue, JValue, Int)] = []
            merged.reserveCapacity(a.count)
            var start = 0
            while start < a.count {
                let mid = min(start + width, a.count), end = min(start + 2 * width, a.count)
                var i = start, j = mid
                while i < mid || j < end {
                    var takeLeft = j >= end
                    if !takeLeft && i < mid { takeLeft = !(try less(a[j], a[i])) }
                    if takeLeft { merged.append(a[i]); i += 1 } else { merged.append(a[j]); j += 1 }
                }
                start = end
            }
            a = merged
            width *= 2
        }
        return a.map(\.1)
    }

    /// `"%s" | format(x)` with `%s`, `%d`, `%r` and `%%`.
    private static func printf(_ f: String, _ values: [JValue]) throws(ChatTemplateError) -> String {
        var out = "", n = 0
        var it = f.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard let k = it.next() else { throw .type("incomplete format") }
            if k == "%" { out += "%"; continue }
            guard n < values.count else { throw .type("not enough arguments for format string") }
            switch k {
            case "s": out += values[n].str
            case "r": out += values[n].repr
            case "d", "i": out += values[n].integer.map(String.init) ?? values[n].numeric.map { String(Int($0)) } ?? values[n].str
            default: throw .type("unsupported format character '\(k)'")
            }
            n += 1
        }
        return out
    }

    static func test(_ name: String, _ v: JValue, _ args: [JValue], _ ev: JinjaEvaluator) throws(ChatTemplateError) -> Bool {
        func arg() throws(ChatTemplateError) -> JValue {
            guard let a = args.first else { throw .type("test '\(name)' needs an argument") }
            return a
        }
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true } else { return false }
        case "string": if case .string = v { return true } else { return false }
        case "mapping": if case .dict = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "number": return v.numeric != nil
        case "iterable": return v.iterated != nil
        case "sequence":
            switch v { case .string, .list, .tuple, .dict: return true; default: return false }
        case "callable":
            switch v { case .macro, .function, .method: return true; default: return false }
        case "odd", "even":
            guard let i = v.integer else { throw .type("odd/even need an integer") }
            return (i & 1 == 1) == (name == "odd")
        case "divisibleby":
            guard let i = v.integer, let d = try arg().integer, d != 0 else { throw .type("divisibleby needs integers") }
            return i % d == 0
        case "eq", "equalto", "==": return JinjaOperators.equal(v, try arg())
        case "ne", "!=": return !JinjaOperators.equal(v, try arg())
        case "lt", "lessthan", "<": return try JinjaOperators.order(v, try arg(), "<") < 0
        case "le", "<=": return try JinjaOperators.order(v, try arg(), "<=") <= 0
        case "gt", "greaterthan", ">": return try JinjaOperators.order(v, try arg(), ">") > 0
        case "ge", ">=": return try JinjaOperators.order(v, try arg(), ">=") >= 0
        case "in": return try JinjaOperators.contains(try arg(), v)
        case "sameas":
            let o = try arg()
            switch (v, o) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "lower": return v.str == JinjaStrings.lower(v.str)
        case "upper": return v.str == JinjaStrings.upper(v.str)
        case "filter": return ["tojson", "trim", "length", "upper", "lower"].contains(v.str)
        case "test": return ["defined", "none", "string"].contains(v.str)
        case "escaped": return false
        default: throw .type("No test named '\(name)'.")
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(unicodeScalars.filter { $0 != "_" }) }
}
