/// A position in a ``JSONDocument`` with its JSON path (for error messages), offering typed
/// accessors that throw errors naming the path.
struct JSONValue: Sendable {
    let document: JSONDocument
    let index: Int
    let path: String

    var kind: JSONDocument.Kind { document.nodes[index].kind }
    var isNull: Bool { kind == .null }

    func error(_ problem: String) -> TokkiError {
        .invalidModel(path: document.path, problem: "\(path): \(problem)")
    }

    private func expect(_ kind: JSONDocument.Kind) throws(TokkiError) {
        guard self.kind == kind else { throw error("expected \(kind.name), found \(self.kind.name)") }
    }

    /// Whether this container was read in bulk by a ``JSONContainerReader`` (it has no child
    /// nodes).
    var isBulk: Bool { document.nodes[index].bulk }

    /// Containers read in bulk have no child nodes to walk.
    private func expectChildren(_ kind: JSONDocument.Kind) throws(TokkiError) {
        try expect(kind)
        guard !isBulk else { throw error("read in bulk; its members cannot be walked one by one") }
    }

    func string() throws(TokkiError) -> String {
        try expect(.string)
        return try document.string(index)
    }

    func stringBytes() throws(TokkiError) -> [UInt8] {
        try expect(.string)
        return try document.stringBytes(index)
    }

    func bool() throws(TokkiError) -> Bool {
        switch kind {
        case .true: return true
        case .false: return false
        default: throw error("expected a boolean, found \(kind.name)")
        }
    }

    func double() throws(TokkiError) -> Double {
        try expect(.number)
        return document.double(index)
    }

    func int() throws(TokkiError) -> Int {
        try expect(.number)
        guard let v = document.integer(index) else { throw error("expected an integer") }
        return v
    }

    /// The elements of an array.
    func array() throws(TokkiError) -> [JSONValue] {
        try expectChildren(.array)
        var out: [JSONValue] = []
        let nodes = document.nodes
        out.reserveCapacity(Int(nodes[index].count))
        var k = index + 1
        var n = 0
        while n < Int(nodes[index].count) {
            out.append(JSONValue(document: document, index: k, path: "\(path)[\(n)]"))
            k = Int(nodes[k].next)
            n += 1
        }
        return out
    }

    /// Node indices of an array's elements (no path strings: for bulk data).
    func elementIndices() throws(TokkiError) -> [Int] {
        try expectChildren(.array)
        let nodes = document.nodes
        var out: [Int] = []
        out.reserveCapacity(Int(nodes[index].count))
        var k = index + 1
        for _ in 0..<Int(nodes[index].count) {
            out.append(k)
            k = Int(nodes[k].next)
        }
        return out
    }

    /// (key node, value node) indices of an object's members, in file order.
    func memberIndices() throws(TokkiError) -> [(key: Int, value: Int)] {
        try expectChildren(.object)
        let nodes = document.nodes
        var out: [(key: Int, value: Int)] = []
        out.reserveCapacity(Int(nodes[index].count) / 2)
        var k = index + 1
        for _ in 0..<(Int(nodes[index].count) / 2) {
            let v = k + 1
            out.append((k, v))
            k = Int(nodes[v].next)
        }
        return out
    }

    /// The member `key` of an object, or nil when absent.
    subscript(key: StaticString) -> JSONValue? {
        guard kind == .object, !isBulk else { return nil }
        let nodes = document.nodes
        var k = index + 1
        for _ in 0..<(Int(nodes[index].count) / 2) {
            if document.stringEquals(k, key) {
                return JSONValue(document: document, index: k + 1, path: "\(path).\(key)")
            }
            k = Int(nodes[k + 1].next)
        }
        return nil
    }

    /// The member `key`, required.
    func required(_ key: StaticString) throws(TokkiError) -> JSONValue {
        try expect(.object)
        guard let v = self[key] else { throw error("missing field '\(key)'") }
        return v
    }

    /// The member `key` when present and not null.
    func optional(_ key: StaticString) -> JSONValue? {
        guard let v = self[key], !v.isNull else { return nil }
        return v
    }

    /// The object's keys (unescaped), in file order.
    func keys() throws(TokkiError) -> [String] {
        var out: [String] = []
        for m in try memberIndices() { out.append(try document.string(m.key)) }
        return out
    }

    func value(at node: Int, path: String) -> JSONValue { JSONValue(document: document, index: node, path: path) }
}
