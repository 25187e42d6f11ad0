/// A parsed expression.
indirect enum JinjaExpr: Sendable {
    case literal(JinjaLiteral)
    case name(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    case attribute(JinjaExpr, String)
    case item(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, JinjaArguments)
    case filter(JinjaExpr, String, JinjaArguments)
    case test(JinjaExpr, String, JinjaArguments, negated: Bool)
    case not(JinjaExpr)
    case negate(JinjaExpr)
    case plus(JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    case compare(JinjaExpr, [(String, JinjaExpr)])
    case conditional(JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

/// A constant in the source.
enum JinjaLiteral: Sendable {
    case none, bool(Bool), int(Int), double(Double), string(String)
}

/// Call arguments: positional then keyword.
struct JinjaArguments: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [(String, JinjaExpr)] = []
}

/// A filter applied by `{% set x | f %}` or `{% filter f %}`.
struct JinjaFilterCall: Sendable {
    var name: String
    var arguments: JinjaArguments
}

/// A macro definition.
struct JinjaMacro: Sendable {
    var name: String
    var parameters: [(String, JinjaExpr?)]
    var body: [JinjaNode]
}

/// The target of `{% set %}`.
enum JinjaSetTarget: Sendable {
    case name(String)
    case names([String])
    case attribute(String, String)
}

/// A parsed statement.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr)
    /// `{{ a + b + c }}` or `{{ a ~ b ~ c }}`: an output whose expression is a left-deep chain
    /// of one of these operators, its operands in order (see `JinjaEvaluator.writeChain`).
    case outputChain(String, [JinjaExpr])
    case conditional([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode])
    case loop(targets: [String], iterable: JinjaExpr, condition: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], line: Int)
    case set(JinjaSetTarget, JinjaExpr)
    case setBlock(String, [JinjaFilterCall], [JinjaNode])
    case macro(JinjaMacro)
    case callBlock(JinjaExpr, [JinjaNode])
    case filterBlock([JinjaFilterCall], [JinjaNode])
    case with([(String, JinjaExpr)], [JinjaNode])
    case generation([JinjaNode])
    case breakLoop, continueLoop
}

/// Recursive-descent parser with jinja2's grammar and operator precedence.
struct JinjaParser {
    /// The node that writes `e`: an output chain when `e` is a left-deep chain of `+` or `~`
    /// (`((a + b) + c)` gives operands a, b, c; a parenthesised right side stays one operand).
    static func outputNode(_ e: JinjaExpr) -> JinjaNode {
        guard case .binary(let op, _, _) = e, op == "+" || op == "~" else { return .output(e) }
        var operands: [JinjaExpr] = []
        var cur = e
        while case .binary(let o, let l, let r) = cur, o == op {
            operands.append(r)
            cur = l
        }
        operands.append(cur)
        return .outputChain(op, operands.reversed())
    }

    private let tokens: [JinjaToken]
    private var i = 0
    private var depth = 0
    /// Deepest nesting of expressions and blocks accepted (keeps the evaluator's stack bounded).
    static let maxDepth = 100

    static func parse(_ source: String) throws(ChatTemplateError) -> [JinjaNode] {
        var p = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (body, end) = try p.parseBody(until: [])
        if let end { throw p.error("unexpected '\(end)'") }
        return body
    }

    private init(tokens: [JinjaToken]) { self.tokens = tokens }

    private var current: JinjaToken {
        i < tokens.count ? tokens[i] : JinjaToken(kind: .end, line: tokens.last?.line ?? 1, column: tokens.last?.column ?? 1)
    }

    private func error(_ message: String) -> ChatTemplateError {
        .syntax(line: current.line, column: current.column, message: message)
    }

    private mutating func advance() { i += 1 }

    private func isOp(_ op: String) -> Bool { current.kind == .op(op) }
    private func isName(_ n: String) -> Bool { current.kind == .name(n) }

    private mutating func expectOp(_ op: String) throws(ChatTemplateError) {
        guard isOp(op) else { throw error("expected '\(op)', found \(describe(current.kind))") }
        advance()
    }

    private mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let n) = current.kind else { throw error("expected a name, found \(describe(current.kind))") }
        advance()
        return n
    }

    private mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard current.kind == .blockEnd else { throw error("expected end of statement block, found \(describe(current.kind))") }
        advance()
    }

    private func describe(_ k: JinjaToken.Kind) -> String {
        switch k {
        case .text: "text"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let n): "'\(n)'"
        case .string: "a string"
        case .integer, .float: "a number"
        case .op(let o): "'\(o)'"
        case .end: "end of template"
        }
    }

    private mutating func enter() throws(ChatTemplateError) {
        depth += 1
        if depth > JinjaParser.maxDepth { throw error("template nests deeper than \(JinjaParser.maxDepth) levels") }
    }

    /// Parses nodes until a block tag whose name is in `until`; returns the body and that name (the
    /// tag's name is consumed, the rest of the tag is not).
    private mutating func parseBody(until: Set<String>) throws(ChatTemplateError) -> ([JinjaNode], String?) {
        try enter()
        defer { depth -= 1 }
        var nodes: [JinjaNode] = []
        while true {
            switch current.kind {
            case .end:
                if !until.isEmpty {
                    throw error("unexpected end of template; expected one of: \(until.sorted().joined(separator: ", "))")
                }
                return (nodes, nil)
            case .text(let t):
                advance()
                nodes.append(.text(t))
            case .variableBegin:
                advance()
                let e = try parseTuple()
                guard current.kind == .variableEnd else { throw error("expected '}}', found \(describe(current.kind))") }
                advance()
                nodes.append(JinjaParser.outputNode(e))
            case .blockBegin:
                advance()
                guard case .name(let keyword) = current.kind else { throw error("expected a statement name") }
                if until.contains(keyword) {
                    advance()
                    return (nodes, keyword)
                }
                nodes.append(try parseStatement())
            default:
                throw error("unexpected \(describe(current.kind))")
            }
        }
    }

    private mutating func parseStatement() throws(ChatTemplateError) -> JinjaNode {
        let line = current.line
        let keyword = try expectName()
        switch keyword {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var condition = try parseExpression()
            try expectBlockEnd()
            while true {
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                if end == "elif" {
                    condition = try parseExpression()
                    try expectBlockEnd()
                    continue
                }
                if end == "else" {
                    try expectBlockEnd()
                    let (otherwise, _) = try parseBody(until: ["endif"])
                    try expectBlockEnd()
                    return .conditional(branches, otherwise: otherwise)
                }
                try expectBlockEnd()
                return .conditional(branches, otherwise: [])
            }
        case "for":
            var targets = [try expectName()]
            while isOp(",") {
                advance()
                targets.append(try expectName())
            }
            guard isName("in") else { throw error("expected 'in' in for loop") }
            advance()
            let iterable = try parseTuple(conditional: false)
            var condition: JinjaExpr? = nil
            if isName("if") {
                advance()
                condition = try parseExpression()
            }
            if isName("recursive") { throw error("recursive loops are not supported") }
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["else", "endfor"])
            var otherwise: [JinjaNode] = []
            if end == "else" {
                try expectBlockEnd()
                otherwise = try parseBody(until: ["endfor"]).0
            }
            try expectBlockEnd()
            return .loop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line)
        case "set":
            let first = try expectName()
            if isOp(".") {
                advance()
                let attr = try expectName()
                try expectOp("=")
                let value = try parseTuple()
                try expectBlockEnd()
                return .set(.attribute(first, attr), value)
            }
            if isOp(",") {
                var names = [first]
                while isOp(",") {
                    advance()
                    names.append(try expectName())
                }
                try expectOp("=")
                let value = try parseTuple()
                try expectBlockEnd()
                return .set(.names(names), value)
            }
            if isOp("=") {
                advance()
                let value = try parseTuple()
                try expectBlockEnd()
                return .set(.name(first), value)
            }
            let filters = try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endset"])
            try expectBlockEnd()
            return .setBlock(first, filters, body)
        case "macro":
            let name = try expectName()
            try expectOp("(")
            var parameters: [(String, JinjaExpr?)] = []
            while !isOp(")") {
                if !parameters.isEmpty { try expectOp(",") }
                if isOp(")") { break }
                let p = try expectName()
                var d: JinjaExpr? = nil
                if isOp("=") {
                    advance()
                    d = try parseExpression()
                }
                parameters.append((p, d))
            }
            advance()
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endmacro"])
            if case .name = current.kind { advance() }
            try expectBlockEnd()
            return .macro(JinjaMacro(name: name, parameters: parameters, body: body))
        case "call":
            let callee = try parseExpression()
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endcall"])
            try expectBlockEnd()
            return .callBlock(callee, body)
        case "filter":
            var filters: [JinjaFilterCall] = []
            filters.append(try parseFilterCall())
            filters += try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters, body)
        case "with":
            var assignments: [(String, JinjaExpr)] = []
            while current.kind != .blockEnd {
                if !assignments.isEmpty { try expectOp(",") }
                let n = try expectName()
                try expectOp("=")
                assignments.append((n, try parseExpression()))
            }
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endwith"])
            try expectBlockEnd()
            return .with(assignments, body)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .generation(body)
        case "break":
            try expectBlockEnd()
            return .breakLoop
        case "continue":
            try expectBlockEnd()
            return .continueLoop
        default:
            i -= 1
            throw error("unknown tag '\(keyword)'")
        }
    }

    private mutating func parseFilterChain() throws(ChatTemplateError) -> [JinjaFilterCall] {
        var out: [JinjaFilterCall] = []
        while isOp("|") {
            advance()
            out.append(try parseFilterCall())
        }
        return out
    }

    private mutating func parseFilterCall() throws(ChatTemplateError) -> JinjaFilterCall {
        var name = try expectName()
        while isOp(".") {
            advance()
            name += "." + (try expectName())
        }
        var args = JinjaArguments()
        if isOp("(") { args = try parseCallArguments() }
        return JinjaFilterCall(name: name, arguments: args)
    }

    // MARK: Expressions

    /// An expression, or a bare tuple `a, b` (as jinja2 accepts in `{{ }}`, `set` and `for … in`).
    private mutating func parseTuple(conditional: Bool = true) throws(ChatTemplateError) -> JinjaExpr {
        let first = conditional ? try parseExpression() : try parseOr()
        guard isOp(",") else { return first }
        var items = [first]
        while isOp(",") {
            advance()
            if current.kind == .blockEnd || current.kind == .variableEnd || isOp(")") { break }
            items.append(conditional ? try parseExpression() : try parseOr())
        }
        return .tuple(items)
    }

    mutating func parseExpression() throws(ChatTemplateError) -> JinjaExpr {
        try enter()
        defer { depth -= 1 }
        let e = try parseOr()
        if isName("if") {
            advance()
            let condition = try parseOr()
            var otherwise: JinjaExpr? = nil
            if isName("else") {
                advance()
                otherwise = try parseExpression()
            }
            return .conditional(condition, then: e, otherwise: otherwise)
        }
        return e
    }

    private mutating func parseOr() throws(ChatTemplateError) -> JinjaExpr {
        var e = try parseAnd()
        while isName("or") {
            advance()
            e = .or(e, try parseAnd())
        }
        return e
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> JinjaExpr {
        var e = try parseNot()
        while isName("and") {
            advance()
            e = .and(e, try parseNot())
        }
        return e
    }

    private mutating func parseNot() throws(ChatTemplateError) -> JinjaExpr {
        if isName("not") {
            advance()
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(ChatTemplateError) -> JinjaExpr {
        let e = try parseMath1()
        var ops: [(String, JinjaExpr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                advance()
                ops.append((o, try parseMath1()))
            } else if isName("in") {
                advance()
                ops.append(("in", try parseMath1()))
            } else if isName("not"), i + 1 < tokens.count, tokens[i + 1].kind == .name("in") {
                advance(); advance()
                ops.append(("notin", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? e : .compare(e, ops)
    }

    private mutating func parseMath1() throws(ChatTemplateError) -> JinjaExpr {
        var e = try parseConcat()
        while isOp("+") || isOp("-") {
            guard case .op(let o) = current.kind else { break }
            advance()
            e = .binary(o, e, try parseConcat())
        }
        return e
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> JinjaExpr {
        var e = try parseMath2()
        while isOp("~") {
            advance()
            e = .binary("~", e, try parseMath2())
        }
        return e
    }

    private mutating func parseMath2() throws(ChatTemplateError) -> JinjaExpr {
        var e = try parsePow()
        while isOp("*") || isOp("/") || isOp("//") || isOp("%") {
            guard case .op(let o) = current.kind else { break }
            advance()
            e = .binary(o, e, try parsePow())
        }
        return e
    }

    private mutating func parsePow() throws(ChatTemplateError) -> JinjaExpr {
        var e = try parseUnary(withFilter: true)
        while isOp("**") {
            advance()
            e = .binary("**", e, try parseUnary(withFilter: true))
        }
        return e
    }

    private mutating func parseUnary(withFilter: Bool) throws(ChatTemplateError) -> JinjaExpr {
        try enter()
        defer { depth -= 1 }
        var e: JinjaExpr
        if isOp("-") {
            advance()
            e = .negate(try parseUnary(withFilter: false))
        } else if isOp("+") {
            advance()
            e = .plus(try parseUnary(withFilter: false))
        } else {
            e = try parsePostfix(try parsePrimary())
        }
        if withFilter { e = try parseFilterExpression(e) }
        return e
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> JinjaExpr {
        switch current.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current.kind {
                s += more
                advance()
            }
            return .literal(.string(s))
        case .integer(let v):
            advance()
            return .literal(.int(v))
        case .float(let v):
            advance()
            return .literal(.double(v))
        case .op("("):
            advance()
            if isOp(")") {
                advance()
                return .tuple([])
            }
            let first = try parseExpression()
            if isOp(")") {
                advance()
                return first
            }
            var items = [first]
            while isOp(",") {
                advance()
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            advance()
            var items: [JinjaExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            advance()
            return .list(items)
        case .op("{"):
            advance()
            var items: [(JinjaExpr, JinjaExpr)] = []
            while !isOp("}") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let k = try parseExpression()
                try expectOp(":")
                items.append((k, try parseExpression()))
            }
            advance()
            return .dict(items)
        default:
            throw error("unexpected \(describe(current.kind))")
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var e = base
        while true {
            if isOp(".") {
                advance()
                switch current.kind {
                case .name(let n):
                    advance()
                    e = .attribute(e, n)
                case .integer(let v):
                    advance()
                    e = .item(e, .literal(.int(v)))
                default:
                    throw error("expected an attribute name after '.'")
                }
            } else if isOp("[") {
                advance()
                e = try parseSubscript(e)
            } else if isOp("(") {
                e = .call(e, try parseCallArguments())
            } else {
                return e
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var parts: [JinjaExpr?] = []
        var current: JinjaExpr? = nil
        var sawColon = false
        while !isOp("]") {
            if isOp(":") {
                advance()
                sawColon = true
                parts.append(current)
                current = nil
                if parts.count > 2 { throw error("too many ':' in slice") }
            } else {
                if case .some = current { throw error("expected ']'") }
                current = try parseExpression()
            }
        }
        advance()
        if !sawColon {
            guard let index = current else { throw error("expected a subscript") }
            return .item(base, index)
        }
        parts.append(current)
        while parts.count < 3 { parts.append(nil) }
        return .slice(base, parts[0], parts[1], parts[2])
    }

    private mutating func parseCallArguments() throws(ChatTemplateError) -> JinjaArguments {
        try expectOp("(")
        var args = JinjaArguments()
        while !isOp(")") {
            if !args.positional.isEmpty || !args.keyword.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            if case .name(let n) = current.kind, i + 1 < tokens.count, tokens[i + 1].kind == .op("=") {
                advance(); advance()
                args.keyword.append((n, try parseExpression()))
            } else {
                guard args.keyword.isEmpty else { throw error("positional argument follows keyword argument") }
                args.positional.append(try parseExpression())
            }
        }
        advance()
        return args
    }

    private mutating func parseFilterExpression(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var e = base
        while true {
            if isOp("|") {
                advance()
                let f = try parseFilterCall()
                e = .filter(e, f.name, f.arguments)
            } else if isName("is") {
                advance()
                var negated = false
                if isName("not") {
                    advance()
                    negated = true
                }
                var name = try expectName()
                while isOp(".") {
                    advance()
                    name += "." + (try expectName())
                }
                var args = JinjaArguments()
                if isOp("(") {
                    args = try parseCallArguments()
                } else if startsPrimary, !isName("else"), !isName("or"), !isName("and") {
                    if isName("is") { throw error("You cannot chain multiple tests with is") }
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                e = .test(e, name, args, negated: negated)
            } else if isOp("(") {
                e = .call(e, try parseCallArguments())
            } else {
                return e
            }
        }
    }

    private var startsPrimary: Bool {
        switch current.kind {
        case .name, .string, .integer, .float: true
        case .op(let o): o == "(" || o == "[" || o == "{"
        default: false
        }
    }
}

