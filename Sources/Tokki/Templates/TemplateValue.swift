/// A JSON-like value handed to a chat template: the messages, tools and extra variables.
///
/// Objects keep their key order (as Python dicts do), because templates print them with
/// `tojson` and iterate them with `items()`.
///
/// ```swift
/// let message: TemplateValue = .object(["role": "user", "content": "안녕하세요"])
/// ```
public enum TemplateValue: Sendable, Equatable {
    /// Python `None` / JSON `null`.
    case none
    /// A boolean.
    case bool(Bool)
    /// An integer (Python `int`).
    case int(Int)
    /// A floating-point number (Python `float`).
    case double(Double)
    /// A Unicode string.
    case string(String)
    /// A list.
    case array([TemplateValue])
    /// An object with ordered keys.
    case object(TemplateObject)
}

/// A string-keyed dictionary in insertion order (Python's `dict`): ``TemplateObject``'s
/// storage and the template engine's dictionaries.
///
/// The members are one array of key-value pairs, so that copying a map (every time a
/// template reads a dictionary out of a variable) retains one buffer, not one per field.
struct OrderedStringMap<Value> {
    /// The members in insertion order.
    private var entries: [(key: String, value: Value)] = []
    /// Each key's position, kept once the map outgrows ``linearLimit``. Below it a linear
    /// search is faster: template keys are short strings, compared without hashing.
    private var index: [String: Int]?
    static var linearLimit: Int { 16 }

    init() {}

    /// The members of `other` in its order, each value made by `transform` (one allocation;
    /// the keys are known to be distinct).
    init<Other>(_ other: OrderedStringMap<Other>, transform: (Other) -> Value) {
        entries = other.entries.map { ($0.key, transform($0.value)) }
        index = other.index
    }

    @inline(__always)
    private func position(_ key: String) -> Int? {
        if let index { return index[key] }
        for i in entries.indices where entries[i].key == key { return i }
        return nil
    }

    /// The keys in insertion order.
    var keys: [String] { entries.map(\.key) }

    /// The value of `key`; assigning appends a new key at the end or replaces the value in
    /// place; assigning nil removes the key.
    subscript(key: String) -> Value? {
        get { position(key).map { entries[$0].value } }
        set {
            if let newValue {
                if let i = position(key) { entries[i].value = newValue; return }
                appendNew(key, newValue)
            } else if let i = position(key) {
                entries.remove(at: i)
                if index != nil { index = Dictionary(uniqueKeysWithValues: zip(entries.map(\.key), entries.indices)) }
            }
        }
    }

    /// The members in order.
    var members: [(key: String, value: Value)] { entries }

    /// Calls `body` with each member in order (without making an array of them).
    @inline(__always)
    func forEachMember(_ body: (String, Value) -> Void) {
        for e in entries { body(e.key, e.value) }
    }

    /// Appends `key`, which the caller knows is not in the map (e.g. a key of another map).
    mutating func appendNew(_ key: String, _ value: Value) {
        assert(position(key) == nil)
        entries.append((key, value))
        if index != nil {
            index?[key] = entries.count - 1
        } else if entries.count > Self.linearLimit {
            index = Dictionary(uniqueKeysWithValues: zip(entries.map(\.key), entries.indices))
        }
    }

    /// Makes room for `n` members.
    mutating func reserveCapacity(_ n: Int) { entries.reserveCapacity(n) }

    /// The number of members.
    var count: Int { entries.count }

    /// Removes every member.
    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        index = nil
    }
}

extension OrderedStringMap: Sendable where Value: Sendable {}
extension OrderedStringMap: Equatable where Value: Equatable {
    static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// An ordered string-keyed dictionary of ``TemplateValue``s (insertion order, like a Python dict).
public struct TemplateObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var map = OrderedStringMap<TemplateValue>()

    /// The keys in insertion order.
    public var keys: [String] { map.keys }

    /// An empty object.
    public init() {}

    /// An empty object with room for `capacity` members.
    init(capacity: Int) { map.reserveCapacity(capacity) }

    /// An object with the given members, in order (a later duplicate key replaces the value and keeps
    /// the first position).
    public init(_ members: [(String, TemplateValue)]) {
        for (k, v) in members { self[k] = v }
    }

    /// An object from a literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self.init(elements)
    }

    /// The value of `key`; assigning appends a new key at the end or replaces the value in place.
    public subscript(key: String) -> TemplateValue? {
        get { map[key] }
        set { map[key] = newValue }
    }

    /// The members in order.
    public var members: [(key: String, value: TemplateValue)] { map.members }

    /// Calls `body` with each member in order.
    func forEachMember(_ body: (String, TemplateValue) -> Void) { map.forEachMember(body) }

    /// The members as the engine's map, each value made by `transform`.
    func mapped<Value>(_ transform: (TemplateValue) -> Value) -> OrderedStringMap<Value> { OrderedStringMap(map, transform: transform) }

    /// The number of members.
    public var count: Int { map.count }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A floating-point value.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A list value.
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    /// An object value, in the literal's order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .object(TemplateObject(elements)) }
    /// `None`.
    public init(nilLiteral: ()) { self = .none }
}

extension TemplateValue {
    /// Parses one JSON text (UTF-8) into a value; numbers with a fraction or exponent become
    /// `.double`, others `.int` (as Python's `json.loads` does).
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the byte offset of a syntax error.
    public static func parseJSON(_ bytes: [UInt8]) throws(TokkiError) -> TemplateValue {
        try convert(JSONDocument(bytes: bytes, path: nil), 0)
    }

    /// ``parseJSON(_:)`` of bytes the caller has already found to be well-formed UTF-8.
    package static func parseJSON(validatedUTF8 bytes: [UInt8]) throws(TokkiError) -> TemplateValue {
        assert(UTF8Validation.firstInvalidOffset(in: bytes) == nil)
        return try convert(JSONDocument(bytes: bytes, path: nil, validate: false), 0)
    }

    private static func convert(_ d: JSONDocument, _ i: Int) throws(TokkiError) -> TemplateValue {
        let node = d.nodes[i]
        switch node.kind {
        case .null: return .none
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .string: return .string(try d.string(i))
        case .number:
            let fraction = d.bytes.withUnsafeBufferPointer { b in
                b[Int(node.start)..<Int(node.end)].contains(where: { $0 == 0x2E || $0 == 0x65 || $0 == 0x45 })
            }
            if !fraction, let v = d.integer(i) {
                return .int(v)
            }
            return .double(d.double(i))
        case .array:
            var out: [TemplateValue] = []
            out.reserveCapacity(Int(node.count))
            var k = i + 1
            for _ in 0..<Int(node.count) {
                out.append(try convert(d, k))
                k = next(d, k)
            }
            return .array(out)
        case .object:
            var obj = TemplateObject(capacity: Int(node.count) / 2)
            var k = i + 1
            for _ in 0..<Int(node.count) / 2 {
                let key = try d.string(k)
                k = next(d, k)
                obj[key] = try convert(d, k)
                k = next(d, k)
            }
            return .object(obj)
        }
    }

    private static func next(_ d: JSONDocument, _ k: Int) -> Int {
        let n = d.nodes[k]
        return (n.kind == .array || n.kind == .object) ? Int(n.next) : k + 1
    }
}
