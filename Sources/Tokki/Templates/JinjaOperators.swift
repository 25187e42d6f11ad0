import Foundation

/// Python's arithmetic, equality and ordering on template values.
enum JinjaOperators {
    static func binary(_ op: String, _ a: JValue, _ b: JValue, limit: Int) throws(ChatTemplateError) -> JValue {
        if op == "~" {
            let s = a.str + b.str
            if s.utf8.count > limit { throw .limit("string exceeds \(limit) bytes") }
            return .string(s)
        }
        if case .undefined(let h) = a { throw .undefined(h) }
        if case .undefined(let h) = b { throw .undefined(h) }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)):
            if x.utf8.count + y.utf8.count > limit { throw .limit("string exceeds \(limit) bytes") }
            return .string(x + y)
        case ("+", .list(let x), .list(let y)): return .list(x + y)
        case ("+", .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard let n = (a.integer != nil && !isString(a)) ? a.integer : b.integer else { break }
            if n > 0 && s.utf8.count * n > limit { throw .limit("string exceeds \(limit) bytes") }
            return .string(n > 0 ? String(repeating: s, count: n) : "")
        case ("*", .list(let l), _), ("*", _, .list(let l)):
            guard let n = (a.integer != nil && !isList(a)) ? a.integer : b.integer else { break }
            if n > 0 && l.count * n > limit { throw .limit("list exceeds \(limit) items") }
            return .list(n > 0 ? Array([[JValue]](repeating: l, count: n).joined()) : [])
        default: break
        }
        if let x = a.integer, let y = b.integer {
            switch op {
            case "+": return try checked(x.addingReportingOverflow(y))
            case "-": return try checked(x.subtractingReportingOverflow(y))
            case "*": return try checked(x.multipliedReportingOverflow(by: y))
            case "/":
                guard y != 0 else { throw .type("division by zero") }
                return .double(Double(x) / Double(y))
            case "//":
                guard y != 0 else { throw .type("integer division or modulo by zero") }
                if x == Int.min && y == -1 { throw .limit("integer overflow") }
                let q = x / y
                return .int((x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q)
            case "%":
                guard y != 0 else { throw .type("integer division or modulo by zero") }
                if y == -1 { return .int(0) }
                let r = x % y
                return .int((r != 0 && ((r < 0) != (y < 0))) ? r + y : r)
            case "**":
                if y < 0 { return .double(pow(Double(x), Double(y))) }
                var result = 1, base = x, e = y
                while e > 0 {
                    if e & 1 == 1 { result = try checkedInt(result.multipliedReportingOverflow(by: base)) }
                    e >>= 1
                    if e > 0 { base = try checkedInt(base.multipliedReportingOverflow(by: base)) }
                }
                return .int(result)
            default: break
            }
        }
        if let x = a.numeric, let y = b.numeric {
            switch op {
            case "+": return .double(x + y)
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/":
                guard y != 0 else { throw .type("float division by zero") }
                return .double(x / y)
            case "//":
                guard y != 0 else { throw .type("float floor division by zero") }
                return .double((x / y).rounded(.down))
            case "%":
                guard y != 0 else { throw .type("float modulo") }
                var r = x.truncatingRemainder(dividingBy: y)
                if r != 0 && ((r < 0) != (y < 0)) { r += y }
                return .double(r)
            case "**": return .double(pow(x, y))
            default: break
            }
        }
        if op == "+", case .string = a {
            throw .type("can only concatenate str (not \"\(b.typeName)\") to str")
        }
        if op == "+", case .list = a {
            throw .type("can only concatenate list (not \"\(b.typeName)\") to list")
        }
        throw .type("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    private static func isString(_ v: JValue) -> Bool { if case .string = v { true } else { false } }
    private static func isList(_ v: JValue) -> Bool { if case .list = v { true } else { false } }

    private static func checked(_ r: (partialValue: Int, overflow: Bool)) throws(ChatTemplateError) -> JValue {
        .int(try checkedInt(r))
    }

    private static func checkedInt(_ r: (partialValue: Int, overflow: Bool)) throws(ChatTemplateError) -> Int {
        if r.overflow { throw .limit("integer overflow") }
        return r.partialValue
    }

    static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }

    static func compare(_ op: String, _ a: JValue, _ b: JValue) throws(ChatTemplateError) -> Bool {
        switch op {
        case "==": return equal(a, b)
        case "!=": return !equal(a, b)
        case "in": return try contains(b, a)
        case "notin": return !(try contains(b, a))
        default:
            let c = try order(a, b, op)
            switch op {
            case "<": return c < 0
            case "<=": return c <= 0
            case ">": return c > 0
            default: return c >= 0
            }
        }
    }

    static func equal(_ a: JValue, _ b: JValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let x), .string(let y)): return JinjaStrings.compare(x, y) == 0
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && x.members.allSatisfy { m in y[m.key].map { equal(m.value, $0) } ?? false }
        case (.namespace(let x), .namespace(let y)): return x === y
        default:
            if let x = a.integer, let y = b.integer { return x == y }
            if let x = a.numeric, let y = b.numeric { return x == y }
            return false
        }
    }

    static func order(_ a: JValue, _ b: JValue, _ op: String) throws(ChatTemplateError) -> Int {
        if case .undefined(let h) = a { throw .undefined(h) }
        if case .undefined(let h) = b { throw .undefined(h) }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            let c = JinjaStrings.compare(x, y)
            return c == 0 ? 0 : (c < 0 ? -1 : 1)
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !equal(p, q) { return try order(p, q, op) }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        default:
            if let x = a.integer, let y = b.integer { return x == y ? 0 : (x < y ? -1 : 1) }
            if let x = a.numeric, let y = b.numeric { return x == y ? 0 : (x < y ? -1 : 1) }
            throw .type("'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// `needle in haystack`.
    static func contains(_ haystack: JValue, _ needle: JValue) throws(ChatTemplateError) -> Bool {
        switch haystack {
        case .undefined: return false
        case .string(let s):
            guard case .string(let n) = needle else {
                throw .type("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return JinjaStrings.contains(s, n)
        case .list(let a), .tuple(let a): return a.contains { equal($0, needle) }
        case .dict(let d):
            if case .string(let k) = needle { return d[k] != nil }
            return false
        default: throw .type("argument of type '\(haystack.typeName)' is not iterable")
        }
    }
}

