import Tokki

/// The JSON report of a cleaning run (`tokki clean`, `tokki dedup`): the documents read, kept and
/// removed, the removals by rule, the duplicate counts and clusters of a de-duplication, and the
/// settings used.
///
/// One line of compact JSON, members in this order: `command`, `inputs`, `documents`, `kept`,
/// `removed`, `removed_by_rule` (rules sorted), then with ``duplicates`` `exact_duplicates` and
/// `near_duplicates`, then `settings` (when there are any), then with ``clusters`` `clusters`
/// (see ``DuplicateClusters/json``), then with ``substrings`` `substrings` (see
/// ``SubstringReport``).
public struct CleaningReport: Sendable {
    /// A setting's value.
    public enum Value: Sendable, Equatable {
        /// `true` or `false`.
        case bool(Bool)
        /// An integer.
        case integer(Int)
        /// An unsigned integer (a seed).
        case unsigned(UInt64)
        /// A number as Swift writes it (`0.3`, `1.0`).
        case number(Double)
        /// A string.
        case string(String)
        /// An array of strings.
        case strings([String])
    }

    /// The command (`clean`, `dedup`).
    public var command: String
    /// The inputs as given.
    public var inputs: [String]
    /// Documents read (lines, including those without text).
    public var documents: Int
    /// Documents kept.
    public var kept: Int
    /// Documents removed, by the rule that removed them.
    public var removedByRule: [String: Int]
    /// Exact and near duplicates removed (de-duplication only).
    public var duplicates: (exact: Int, near: Int)?
    /// The settings, in order.
    public var settings: [(name: String, value: Value)]
    /// The duplicate clusters (de-duplication only).
    public var clusters: DuplicateClusters?
    /// Exact-substring de-duplication: totals and the most removed spans.
    public var substrings: SubstringReport?

    /// A report.
    public init(command: String, inputs: [String], documents: Int, kept: Int, removedByRule: [String: Int],
                duplicates: (exact: Int, near: Int)? = nil, settings: [(name: String, value: Value)] = [],
                clusters: DuplicateClusters? = nil) {
        self.command = command
        self.inputs = inputs
        self.documents = documents
        self.kept = kept
        self.removedByRule = removedByRule
        self.duplicates = duplicates
        self.settings = settings
        self.clusters = clusters
    }

    /// Documents removed.
    public var removed: Int { documents - kept }

    /// The report: one line of JSON and a line feed.
    public var json: [UInt8] {
        var w = JSONWriter()
        w.object { o in
            o.member("command") { $0.string(command) }
            o.member("inputs") { w in w.array(inputs) { $0.string($1) } }
            o.member("documents") { $0.integer(documents) }
            o.member("kept") { $0.integer(kept) }
            o.member("removed") { $0.integer(removed) }
            o.member("removed_by_rule") { w in
                w.object { o in
                    for (rule, count) in removedByRule.sorted(by: { $0.key < $1.key }) { o.member(rule) { $0.integer(count) } }
                }
            }
            if let duplicates {
                o.member("exact_duplicates") { $0.integer(duplicates.exact) }
                o.member("near_duplicates") { $0.integer(duplicates.near) }
            }
            if !settings.isEmpty {
                o.member("settings") { w in
                    w.object { o in
                        for (name, value) in settings { o.member(name) { Self.write(value, to: &$0) } }
                    }
                }
            }
            if let clusters { o.member("clusters") { clusters.write(to: &$0) } }
            if let substrings { o.member("substrings") { substrings.write(to: &$0) } }
        }
        w.raw("\n")
        return w.bytes
    }

    static func write(_ value: Value, to w: inout JSONWriter) {
        switch value {
        case .bool(let b): w.bool(b)
        case .integer(let i): w.integer(i)
        case .unsigned(let u): w.raw(u.description)
        case .number(let d): w.decimal(d)
        case .string(let s): w.string(s)
        case .strings(let list): w.array(list) { $0.string($1) }
        }
    }
}
