import Tokki

/// The JSON report of a `tokki scrub` run: documents read, written, changed and skipped, the
/// replacements by kind, the same per input, and the settings.
///
/// One line of compact JSON, members in this order: `command` (`scrub`), `inputs`,
/// `documents`, `written`, `changed`, `removed`, `removed_by_rule` (rules sorted:
/// `invalid_utf8`, `invalid_json`, `missing_field`), `replacements` (each kind scrubbed, in
/// ``PIIScrubber/Kind`` order, then `total`), `by_input` (an array of objects with `input`,
/// `documents`, `changed`, `removed`, `replacements`), `settings` (`kinds`, `template`).
public struct ScrubReport: Sendable {
    /// The counts of one input.
    public struct Input: Sendable {
        /// The input's name (`-` or `<stdin>` for standard input).
        public var name: String
        /// Documents read (lines, including blank and bad ones).
        public var documents = 0
        /// Documents with at least one replacement.
        public var changed = 0
        /// Documents left out, by rule.
        public var removedByRule: [String: Int] = [:]
        /// Replacements by kind.
        public var replacements = PIIScrubber.Counts()
        /// Counts for `name`, all zero.
        public init(name: String) { self.name = name }
        /// Documents left out.
        public var removed: Int { removedByRule.values.reduce(0, +) }
    }

    /// The inputs as given on the command line.
    public var inputs: [String]
    /// The counts per input, in reading order.
    public var byInput: [Input]
    /// The kinds scrubbed.
    public var kinds: Set<PIIScrubber.Kind>
    /// The placeholder template.
    public var template: String

    /// A report.
    public init(inputs: [String], byInput: [Input], kinds: Set<PIIScrubber.Kind>, template: String) {
        self.inputs = inputs
        self.byInput = byInput
        self.kinds = kinds
        self.template = template
    }

    /// Documents read.
    public var documents: Int { byInput.reduce(0) { $0 + $1.documents } }
    /// Documents with at least one replacement.
    public var changed: Int { byInput.reduce(0) { $0 + $1.changed } }
    /// Documents left out (bad input).
    public var removed: Int { byInput.reduce(0) { $0 + $1.removed } }
    /// Documents written.
    public var written: Int { documents - removed }
    /// Replacements by kind, over all inputs.
    public var replacements: PIIScrubber.Counts {
        var c = PIIScrubber.Counts()
        for i in byInput { c += i.replacements }
        return c
    }
    /// Documents left out by rule, over all inputs.
    public var removedByRule: [String: Int] {
        var r: [String: Int] = [:]
        for i in byInput { r.merge(i.removedByRule, uniquingKeysWith: +) }
        return r
    }

    /// The report: one line of JSON and a line feed.
    public var json: [UInt8] {
        let kinds = PIIScrubber.Kind.allCases.filter { self.kinds.contains($0) }
        func counts(_ c: PIIScrubber.Counts, _ w: inout JSONWriter) {
            w.object { o in
                for k in kinds { o.member(k.rawValue) { $0.integer(c[k]) } }
                o.member("total") { $0.integer(c.total) }
            }
        }
        func rules(_ r: [String: Int], _ w: inout JSONWriter) {
            w.object { o in for (rule, n) in r.sorted(by: { $0.key < $1.key }) { o.member(rule) { $0.integer(n) } } }
        }
        var w = JSONWriter()
        w.object { o in
            o.member("command") { $0.string("scrub") }
            o.member("inputs") { w in w.array(inputs) { $0.string($1) } }
            o.member("documents") { $0.integer(documents) }
            o.member("written") { $0.integer(written) }
            o.member("changed") { $0.integer(changed) }
            o.member("removed") { $0.integer(removed) }
            o.member("removed_by_rule") { rules(removedByRule, &$0) }
            o.member("replacements") { counts(replacements, &$0) }
            o.member("by_input") { w in
                w.array(byInput) { w, i in
                    w.object { o in
                        o.member("input") { $0.string(i.name) }
                        o.member("documents") { $0.integer(i.documents) }
                        o.member("changed") { $0.integer(i.changed) }
                        o.member("removed") { $0.integer(i.removed) }
                        o.member("replacements") { counts(i.replacements, &$0) }
                    }
                }
            }
            o.member("settings") { w in
                w.object { o in
                    o.member("kinds") { w in w.array(kinds) { $0.string($1.rawValue) } }
                    o.member("template") { $0.string(template) }
                }
            }
        }
        w.raw("\n")
        return w.bytes
    }
}
