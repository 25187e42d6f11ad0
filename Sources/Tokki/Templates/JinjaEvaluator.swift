/// Renders a parsed template. One evaluator per render; it is not shared between threads.
final class JinjaEvaluator {
    enum Flow { case normal, breakLoop, continueLoop }

    let limits: ChatTemplate.Limits
    let clock: ChatTemplate.Clock
    // The state written on every output and step is not checked for exclusive access at run
    // time (a check per write costs more than the write): the evaluator runs on one thread,
    // and no access to these properties overlaps another (none is passed inout across a call
    // that could touch it).
    /// The output, as UTF-8 (every piece written is a whole string, so it stays well-formed),
    /// made a string once at the end: appending bytes costs less than appending to a string.
    @exclusivity(unchecked) private var root: [UInt8] = []
    /// The buffers of the captures being rendered (`{% set %}` blocks, macro calls, filter
    /// blocks), innermost last; output goes to the last, else to `root`.
    @exclusivity(unchecked) private var captures: [[UInt8]] = []
    /// For spans recorded inside a capture: their length in scalars (else -1: from the output).
    private var spanScalarLengths: [Int] = []
    @exclusivity(unchecked) private var written = 0
    @exclusivity(unchecked) private var steps = 0
    private var callDepth = 0
    private(set) var spans: [(start: Int, end: Int, byteStart: Int, byteEnd: Int)] = []
    /// Scopes captured by macros: a macro stored in a scope it (or a scope below it) closes
    /// over is a reference cycle; ``releaseClosures()`` breaks them all after the render.
    private var closures: [JScope] = []
    /// The string operands of the `+` / `~` chains being written (see ``writeChain(_:_:_:)``).
    @exclusivity(unchecked) private var chain: [String] = []

    init(limits: ChatTemplate.Limits, clock: ChatTemplate.Clock) {
        self.limits = limits
        self.clock = clock
        chain.reserveCapacity(8)
    }

    /// The rendered text.
    var output: String { String(decoding: root, as: UTF8.self) }

    /// The rendered text's UTF-8, taken out of the evaluator (whose output is then empty).
    func takeOutput() -> [UInt8] {
        var out: [UInt8] = []
        swap(&out, &root)
        return out
    }

    /// Makes room for `bytes` of output before rendering.
    func reserveOutput(_ bytes: Int) { root.reserveCapacity(bytes) }

    /// Empties every scope a macro captured, and their parents, so that the cycles through
    /// macros (scope → macro → scope) are freed. Call once the render is over.
    func releaseClosures() {
        for c in closures {
            var s: JScope? = c
            while let x = s {
                x.variables.removeAll()
                s = x.parent
            }
        }
        closures.removeAll()
    }

    // MARK: Output

    /// The spans in bytes of the output, and for each the length in scalars of a span recorded
    /// inside a capture (else -1: its scalars are counted in the output).
    func finishedByteSpans() -> (bytes: [Range<Int>], scalarLengths: [Int]) {
        (spans.map { $0.byteStart..<$0.byteEnd }, spanScalarLengths)
    }

    /// The spans `bytes` of `text` in scalars (Python string indices): one pass over the text,
    /// not a count per span. `scalarLengths` as ``finishedByteSpans()`` gives them.
    static func scalarSpans(_ text: [UInt8], bytes: [Range<Int>], scalarLengths: [Int]) -> [Range<Int>] {
        guard !bytes.isEmpty else { return [] }
        // A span without a recorded length (the caller changed the byte spans) is counted in the text.
        func length(_ k: Int) -> Int { k < scalarLengths.count ? scalarLengths[k] : -1 }
        var marks: [Int] = []
        for (k, sp) in bytes.enumerated() {
            marks.append(sp.lowerBound)
            if length(k) < 0 { marks.append(sp.upperBound) }
        }
        marks.sort()
        // counts[k]: the scalars before byte marks[k] (past the end, one per missing byte).
        var counts = [Int](repeating: 0, count: marks.count)
        text.withUnsafeBufferPointer { bytes in
            guard let p = bytes.baseAddress else { return }
            var scalars = 0, at = 0
            for (k, m) in marks.enumerated() {
                let target = min(m, bytes.count)
                if at < target { scalars += UTF8Validation.scalarCount(p + at, target - at); at = target }
                counts[k] = scalars + max(0, m - bytes.count)
            }
        }
        func index(_ m: Int) -> Int? {
            var lo = 0, hi = marks.count
            while lo < hi { let mid = (lo + hi) / 2; if marks[mid] < m { lo = mid + 1 } else { hi = mid } }
            return lo < marks.count && marks[lo] == m ? counts[lo] : nil
        }
        return bytes.enumerated().map { k, sp in
            let start = index(sp.lowerBound) ?? 0
            let end = length(k) < 0 ? (index(sp.upperBound) ?? start) : start + length(k)
            return start..<end
        }
    }

    private func write(_ s: String) throws(ChatTemplateError) {
        let n = s.utf8.count
        if n == 0 { return }
        written += n
        if written > limits.maxOutputBytes { throw .limit("output exceeds \(limits.maxOutputBytes) bytes") }
        if captures.isEmpty {
            Self.append(s, to: &root)
        } else {
            Self.append(s, to: &captures[captures.count - 1])
        }
    }

    @inline(__always)
    private static func append(_ s: String, to buffer: inout [UInt8]) {
        if s.utf8.withContiguousStorageIfAvailable({ buffer.append(contentsOf: $0) }) == nil { buffer.append(contentsOf: s.utf8) }
    }

    /// `{{ a + b + c }}` or `{{ a ~ b ~ c }}` (`operands` in order): while every operand is a
    /// string, the operands are written one after the other instead of being concatenated
    /// first (message texts are long). The output, the errors and the order of evaluation are
    /// those of folding left to right.
    private func writeChain(_ op: String, _ operands: [JinjaExpr], _ scope: JScope) throws(ChatTemplateError) {
        let base = chain.count
        defer { chain.removeSubrange(base...) }
        let concat = op == "~"
        var folded: JValue? = nil
        for operand in operands {
            let right = try eval(operand, scope)
            if let left = folded {
                folded = try JinjaOperators.binary(op, left, right, limit: limits.maxOutputBytes)
                continue
            }
            if concat {
                chain.append(right.str)
                continue
            }
            if case .string(let s) = right {
                chain.append(s)
                continue
            }
            // The first operand that is not a string: fold the strings before it, then go on.
            guard chain.count > base else { folded = right; continue }
            try checkChainLength(base)
            let strings = JValue.string(chain[base...].joined())
            chain.removeSubrange(base...)
            folded = try JinjaOperators.binary(op, strings, right, limit: limits.maxOutputBytes)
        }
        if let folded {
            try write(folded.str)
            return
        }
        try checkChainLength(base)
        for k in base..<chain.count { try write(chain[k]) }
    }

    /// Throws when the strings of the chain from `base` on are longer than an output may be.
    private func checkChainLength(_ base: Int) throws(ChatTemplateError) {
        var total = 0
        for k in base..<chain.count { total += chain[k].utf8.count }
        if total > limits.maxOutputBytes { throw .limit("string exceeds \(limits.maxOutputBytes) bytes") }
    }

    private func capture(_ body: () throws(ChatTemplateError) -> Void) throws(ChatTemplateError) -> String {
        captures.append([])
        defer { _ = captures.popLast() }
        try body()
        return String(decoding: captures[captures.count - 1], as: UTF8.self)
    }

    private func step() throws(ChatTemplateError) {
        steps += 1
        if steps > limits.maxSteps { throw .limit("template ran more than \(limits.maxSteps) loop iterations and calls") }
    }

    // MARK: Statements

    func run(_ nodes: [JinjaNode], _ scope: JScope) throws(ChatTemplateError) -> Flow {
        for node in nodes {
            let f = try execute(node, scope)
            if f != .normal { return f }
        }
        return .normal
    }

    private func execute(_ node: JinjaNode, _ scope: JScope) throws(ChatTemplateError) -> Flow {
        switch node {
        case .text(let t):
            try write(t)
        case .output(let e):
            try write(try eval(e, scope).str)
        case .outputChain(let op, let operands):
            try writeChain(op, operands, scope)
        case .conditional(let branches, let otherwise):
            for (c, body) in branches where try eval(c, scope).truthy {
                return try run(body, scope)
            }
            return try run(otherwise, scope)
        case .loop(let targets, let iterable, let condition, let body, let otherwise, _):
            let source = try eval(iterable, scope)
            guard var items = source.iterated else { throw .type("'\(source.typeName)' object is not iterable") }
            if let condition {
                var kept: [JValue] = []
                for item in items {
                    try step()
                    let s = JScope(parent: scope)
                    try bind(targets, item, s)
                    if try eval(condition, s).truthy { kept.append(item) }
                }
                items = kept
            }
            if items.isEmpty { return try run(otherwise, scope) }
            let loop = JLoop(items: items)
            var s = JScope(parent: scope)
            for (n, item) in items.enumerated() {
                try step()
                loop.index0 = n
                // Each iteration gets an empty scope. The last one's is reused when nothing
                // kept it (a macro defined in the body closes over it): no one can tell.
                if n > 0 {
                    if isKnownUniquelyReferenced(&s) { s.variables.removeAll() } else { s = JScope(parent: scope) }
                }
                s.variables["loop"] = .loop(loop)
                try bind(targets, item, s)
                if try run(body, s) == .breakLoop { break }
            }
        case .set(let target, let e):
            let v = try eval(e, scope)
            switch target {
            case .name(let n): scope.variables[n] = v
            case .names(let ns): try bind(ns, v, scope)
            case .attribute(let n, let attr):
                guard case .namespace(let ns)? = scope.lookup(n) else {
                    throw .type("cannot assign attribute on non-namespace object")
                }
                if attr.hasPrefix("_") {
                    throw .security("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attr)'. Please rename the attribute.")
                }
                ns.attributes[attr] = v
            }
        case .setBlock(let name, let filters, let body):
            var v = JValue.string(try capture { () throws(ChatTemplateError) in _ = try run(body, scope) })
            for f in filters { v = try applyFilter(f.name, v, f.arguments, scope) }
            scope.variables[name] = v
        case .macro(let m):
            closures.append(scope)
            scope.variables[m.name] = .macro(JMacroValue(definition: m, closure: scope))
        case .callBlock(let callee, let body):
            closures.append(scope)
            let caller = JMacroValue(definition: JinjaMacro(name: "caller", parameters: [], body: body), closure: scope, isCaller: true)
            guard case .call(let f, let args) = callee else { throw .type("call block needs a macro call") }
            let fn = try eval(f, scope)
            try write(try call(fn, args, scope, caller: caller).str)
        case .filterBlock(let filters, let body):
            var v = JValue.string(try capture { () throws(ChatTemplateError) in _ = try run(body, scope) })
            for f in filters { v = try applyFilter(f.name, v, f.arguments, scope) }
            try write(v.str)
        case .with(let assignments, let body):
            let s = JScope(parent: scope)
            for (n, e) in assignments { s.variables[n] = try eval(e, scope) }
            return try run(body, s)
        case .generation(let body):
            if captures.isEmpty {
                let byteStart = root.count
                let f = try run(body, scope)
                spans.append((-1, -1, byteStart, root.count))
                spanScalarLengths.append(-1)
                return f
            }
            var flow = Flow.normal
            let text = try capture { () throws(ChatTemplateError) in flow = try run(body, scope) }
            spans.append((-1, -1, root.count, root.count + text.utf8.count))
            spanScalarLengths.append(text.unicodeScalars.count)
            try write(text)
            return flow
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        }
        return .normal
    }

    private func bind(_ targets: [String], _ value: JValue, _ scope: JScope) throws(ChatTemplateError) {
        if targets.count == 1 {
            scope.variables[targets[0]] = value
            return
        }
        guard let parts = value.iterated, !value.isUndefined else { throw .type("cannot unpack non-iterable \(value.typeName) object") }
        guard parts.count == targets.count else {
            throw .type(parts.count > targets.count ? "too many values to unpack (expected \(targets.count))" : "not enough values to unpack (expected \(targets.count), got \(parts.count))")
        }
        for (t, v) in zip(targets, parts) { scope.variables[t] = v }
    }

    // MARK: Expressions

    func eval(_ e: JinjaExpr, _ scope: JScope) throws(ChatTemplateError) -> JValue {
        switch e {
        case .literal(let l):
            switch l {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let s): return .string(s)
            }
        case .name(let n):
            if let v = scope.lookup(n) { return v }
            if JinjaEvaluator.globalFunctions.contains(n) { return .function(n) }
            return .undefined(hint: "'\(n)' is undefined")
        case .list(let items):
            var out: [JValue] = []
            for i in items { out.append(try eval(i, scope)) }
            return .list(out)
        case .tuple(let items):
            var out: [JValue] = []
            for i in items { out.append(try eval(i, scope)) }
            return .tuple(out)
        case .dict(let items):
            var d = JDict()
            for (k, v) in items {
                let key = try eval(k, scope)
                guard case .string(let ks) = key else { throw .type("dictionary keys must be strings, got \(key.typeName)") }
                d[ks] = try eval(v, scope)
            }
            return .dict(d)
        case .attribute(let base, let name):
            return try getAttribute(try eval(base, scope), name)
        case .item(let base, let index):
            return try getItem(try eval(base, scope), try eval(index, scope))
        case .slice(let base, let a, let b, let c):
            let v = try eval(base, scope)
            func bound(_ x: JinjaExpr?) throws(ChatTemplateError) -> Int? {
                guard let x else { return nil }
                let r = try eval(x, scope)
                if case .none = r { return nil }
                guard let i = r.integer else { throw .type("slice indices must be integers or None") }
                return i
            }
            return try slice(v, try bound(a), try bound(b), try bound(c))
        case .call(let f, let args):
            return try call(try eval(f, scope), args, scope, caller: nil)
        case .filter(let base, let name, let args):
            return try applyFilter(name, try eval(base, scope), args, scope)
        case .test(let base, let name, let args, let negated):
            let r = try applyTest(name, try eval(base, scope), try evalArguments(args, scope).positional)
            return .bool(r != negated)
        case .not(let x):
            return .bool(!(try eval(x, scope).truthy))
        case .negate(let x):
            let v = try eval(x, scope)
            switch v {
            case .int(let i):
                guard i != Int.min else { throw .limit("integer overflow") }
                return .int(-i)
            case .bool(let b): return .int(b ? -1 : 0)
            case .double(let d): return .double(-d)
            case .undefined(let h): throw .undefined(h)
            default: throw .type("bad operand type for unary -: '\(v.typeName)'")
            }
        case .plus(let x):
            let v = try eval(x, scope)
            switch v {
            case .int, .double: return v
            case .bool(let b): return .int(b ? 1 : 0)
            case .undefined(let h): throw .undefined(h)
            default: throw .type("bad operand type for unary +: '\(v.typeName)'")
            }
        case .binary(let op, let l, let r):
            return try JinjaOperators.binary(op, try eval(l, scope), try eval(r, scope), limit: limits.maxOutputBytes)
        case .and(let l, let r):
            let a = try eval(l, scope)
            return a.truthy ? try eval(r, scope) : a
        case .or(let l, let r):
            let a = try eval(l, scope)
            return a.truthy ? a : try eval(r, scope)
        case .compare(let first, let ops):
            var left = try eval(first, scope)
            for (op, re) in ops {
                let right = try eval(re, scope)
                if !(try JinjaOperators.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let c, let then, let otherwise):
            if try eval(c, scope).truthy { return try eval(then, scope) }
            if let otherwise { return try eval(otherwise, scope) }
            return .undefined(hint: "the inline if-expression evaluated to false and no else section was defined.")
        }
    }

    struct Arguments {
        var positional: [JValue] = []
        var keyword: [String: JValue] = [:]

        func get(_ index: Int, _ name: String) -> JValue? {
            if index < positional.count { return positional[index] }
            return keyword[name]
        }
    }

    func evalArguments(_ a: JinjaArguments, _ scope: JScope) throws(ChatTemplateError) -> Arguments {
        var out = Arguments()
        for p in a.positional { out.positional.append(try eval(p, scope)) }
        for (k, v) in a.keyword { out.keyword[k] = try eval(v, scope) }
        return out
    }

    // MARK: Attribute and item access

    /// `obj.name`: an attribute (method) first, then an item.
    func getAttribute(_ obj: JValue, _ name: String) throws(ChatTemplateError) -> JValue {
        switch obj {
        case .undefined(let h): throw .undefined(h)
        case .dict(let d):
            if JinjaMethods.dictMethods.contains(name) { return .method(obj, name) }
            if let v = d[name] { return v }
        case .string:
            if JinjaMethods.stringMethods.contains(name) { return .method(obj, name) }
        case .list, .tuple:
            if JinjaMethods.listMethods.contains(name) { return .method(obj, name) }
            if JinjaMethods.unsafeListMethods.contains(name) {
                throw .security("access to attribute '\(name)' of '\(obj.typeName)' object is unsafe.")
            }
        case .namespace(let ns):
            if let v = ns.attributes[name] { return v }
        case .loop(let l):
            if let v = loopAttribute(l, name) { return v }
        default: break
        }
        return .undefined(hint: "'\(obj.objectTypeRepr)' has no attribute '\(name)'")
    }

    /// `obj[key]`: an item first, then (for string keys) an attribute.
    func getItem(_ obj: JValue, _ key: JValue) throws(ChatTemplateError) -> JValue {
        switch (obj, key) {
        case (.undefined(let h), _): throw .undefined(h)
        case (.dict(let d), .string(let k)):
            if let v = d[k] { return v }
        case (.list(let a), _), (.tuple(let a), _):
            if let i = key.integer {
                let j = i < 0 ? i + a.count : i
                if j >= 0 && j < a.count { return a[j] }
                return .undefined(hint: "'\(obj.objectTypeRepr)' has no element \(i)")
            }
        case (.string(let s), _):
            if let i = key.integer {
                let scalars = Array(s.unicodeScalars)
                let j = i < 0 ? i + scalars.count : i
                if j >= 0 && j < scalars.count { return .string(String(scalars[j])) }
                return .undefined(hint: "'str object' has no element \(i)")
            }
        case (.loop, .string(let k)), (.namespace, .string(let k)):
            return try getAttribute(obj, k)
        default: break
        }
        if case .string(let k) = key { return try getAttribute(obj, k) }
        return .undefined(hint: "'\(obj.objectTypeRepr)' has no element \(key.repr)")
    }

    private func loopAttribute(_ l: JLoop, _ name: String) -> JValue? {
        switch name {
        case "index": .int(l.index0 + 1)
        case "index0": .int(l.index0)
        case "revindex": .int(l.length - l.index0)
        case "revindex0": .int(l.length - l.index0 - 1)
        case "first": .bool(l.index0 == 0)
        case "last": .bool(l.index0 == l.length - 1)
        case "length": .int(l.length)
        case "depth": .int(1)
        case "depth0": .int(0)
        case "previtem": l.index0 > 0 ? l.items[l.index0 - 1] : .undefined(hint: "there is no previous item")
        case "nextitem": l.index0 + 1 < l.length ? l.items[l.index0 + 1] : .undefined(hint: "there is no next item")
        case "cycle": .method(.loop(l), "cycle")
        default: nil
        }
    }

    func slice(_ v: JValue, _ start: Int?, _ stop: Int?, _ stepValue: Int?) throws(ChatTemplateError) -> JValue {
        let step = stepValue ?? 1
        guard step != 0 else { throw .type("slice step cannot be zero") }
        func indices(_ n: Int) -> [Int] {
            var out: [Int] = []
            func clamp(_ x: Int?, _ dflt: Int, lower: Int, upper: Int) -> Int {
                guard var x else { return dflt }
                if x < 0 { x += n }
                return min(max(x, lower), upper)
            }
            if step > 0 {
                var i = clamp(start, 0, lower: 0, upper: n)
                let e = clamp(stop, n, lower: 0, upper: n)
                while i < e { out.append(i); i += step }
            } else {
                var i = clamp(start, n - 1, lower: -1, upper: n - 1)
                let e = clamp(stop, -1, lower: -1, upper: n - 1)
                while i > e { out.append(i); i += step }
            }
            return out
        }
        switch v {
        case .list(let a): return .list(indices(a.count).map { a[$0] })
        case .tuple(let a): return .tuple(indices(a.count).map { a[$0] })
        case .string(let s):
            let sc = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in indices(sc.count) { out.append(sc[i]) }
            return .string(String(out))
        case .undefined(let h): throw .undefined(h)
        default: throw .type("'\(v.typeName)' object is not subscriptable")
        }
    }

    // MARK: Calls

    static let globalFunctions: Set<String> = ["range", "namespace", "dict", "raise_exception", "strftime_now", "cycler", "joiner", "lipsum"]

    func call(_ fn: JValue, _ a: JinjaArguments, _ scope: JScope, caller: JMacroValue?) throws(ChatTemplateError) -> JValue {
        try step()
        let args = try evalArguments(a, scope)
        switch fn {
        case .macro(let m): return try callMacro(m, args, caller: caller)
        case .function(let name): return try callGlobal(name, args)
        case .method(let obj, let name):
            if case .loop(let l) = obj, name == "cycle" {
                guard !args.positional.isEmpty else { throw .type("no items for cycling given") }
                return args.positional[l.index0 % args.positional.count]
            }
            return try JinjaMethods.call(obj, name, args, self)
        case .undefined(let h): throw .undefined(h)
        default: throw .type("'\(fn.typeName)' object is not callable")
        }
    }

    private func callMacro(_ m: JMacroValue, _ args: Arguments, caller: JMacroValue?) throws(ChatTemplateError) -> JValue {
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > limits.maxCallDepth { throw .limit("macro calls nest deeper than \(limits.maxCallDepth)") }
        let d = m.definition
        if args.positional.count > d.parameters.count {
            throw .type("macro '\(d.name)' takes not more than \(d.parameters.count) argument(s)")
        }
        let s = JScope(parent: m.closure)
        for (n, (p, dflt)) in d.parameters.enumerated() {
            if n < args.positional.count {
                s.variables[p] = args.positional[n]
            } else if let v = args.keyword[p] {
                s.variables[p] = v
            } else if let dflt {
                s.variables[p] = try eval(dflt, s)
            } else {
                s.variables[p] = .undefined(hint: "parameter '\(p)' was not provided")
            }
        }
        for k in args.keyword.keys where !d.parameters.contains(where: { $0.0 == k }) {
            throw .type("macro '\(d.name)' takes no keyword argument '\(k)'")
        }
        if let caller { s.variables["caller"] = .macro(caller) }
        let text = try capture { () throws(ChatTemplateError) in _ = try run(d.body, s) }
        return .string(text)
    }

    private func callGlobal(_ name: String, _ args: Arguments) throws(ChatTemplateError) -> JValue {
        switch name {
        case "raise_exception":
            throw .raised(args.get(0, "message")?.str ?? "")
        case "strftime_now":
            guard case .string(let f)? = args.get(0, "format") else { throw .type("strftime_now() needs a format string") }
            return .string(clock.format(f))
        case "namespace", "dict":
            var d = JDict()
            if let first = args.positional.first {
                guard case .dict(let init0) = first else { throw .type("\(name)() takes a mapping") }
                for (k, v) in init0.members { d[k] = v }
            }
            for k in args.keyword.keys.sorted() { d[k] = args.keyword[k] }
            if name == "dict" { return .dict(d) }
            for k in d.keys where k.hasPrefix("_") {
                throw .security("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(k)'. Please rename the attribute.")
            }
            return .namespace(JNamespace(d))
        case "range":
            let ints = args.positional.map(\.integer)
            guard !ints.isEmpty, ints.allSatisfy({ $0 != nil }) else { throw .type("range() needs integer arguments") }
            let v = ints.compactMap { $0 }
            var (start, stop, step) = (0, 0, 1)
            switch v.count {
            case 1: stop = v[0]
            case 2: (start, stop) = (v[0], v[1])
            default: (start, stop, step) = (v[0], v[1], v[2])
            }
            guard step != 0 else { throw .type("range() arg 3 must not be zero") }
            let count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0)
            if count > 100_000 { throw .limit("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).") }
            return .list((0..<count).map { .int(start + $0 * step) })
        default:
            throw .type("'\(name)' is not available in chat templates")
        }
    }

    // MARK: Filters and tests

    func applyFilter(_ name: String, _ value: JValue, _ a: JinjaArguments, _ scope: JScope) throws(ChatTemplateError) -> JValue {
        let args = try evalArguments(a, scope)
        return try JinjaFilters.apply(name, value, args, self)
    }

    func applyTest(_ name: String, _ value: JValue, _ args: [JValue]) throws(ChatTemplateError) -> Bool {
        try JinjaFilters.test(name, value, args, self)
    }
}
