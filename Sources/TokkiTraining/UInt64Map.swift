/// An open-addressing hash map from 64-bit keys (never `UInt64.max`) to values, with no
/// removal (callers store an "empty" value instead): several times faster than `Dictionary`
/// for the pair statistics of BPE training.
struct UInt64Map<Value> {
    private var keys: [UInt64]
    private var values: [Value]
    private var mask: Int
    private(set) var count = 0
    private let empty: Value

    /// An empty map; `empty` is what `self[key]` gives for absent keys.
    init(capacity: Int = 16, empty: Value) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: .max, count: size)
        values = [Value](repeating: empty, count: size)
        mask = size - 1
        self.empty = empty
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        return Int(truncatingIfNeeded: h) & mask
    }

    @inline(__always)
    private func find(_ key: UInt64) -> Int {
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key || k == .max { return i }
            i = (i + 1) & mask
        }
    }

    /// The value for `key` (or the empty value); setting inserts or replaces.
    subscript(key: UInt64) -> Value {
        get {
            let i = find(key)
            return keys[i] == key ? values[i] : empty
        }
        set {
            var i = find(key)
            if keys[i] != key {
                if (count + 1) * 2 > keys.count {
                    grow()
                    i = find(key)
                }
                keys[i] = key
                count += 1
            }
            values[i] = newValue
        }
    }

    /// Applies `body` to the value of `key` in place (inserting the empty value first).
    @inline(__always)
    mutating func modify(_ key: UInt64, _ body: (inout Value) -> Void) {
        var i = find(key)
        if keys[i] != key {
            if (count + 1) * 2 > keys.count {
                grow()
                i = find(key)
            }
            keys[i] = key
            values[i] = empty
            count += 1
        }
        body(&values[i])
    }

    /// Every stored (key, value), in slot order.
    func forEach(_ body: (UInt64, Value) -> Void) {
        for i in keys.indices where keys[i] != .max { body(keys[i], values[i]) }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: .max, count: oldKeys.count * 2)
        values = [Value](repeating: empty, count: oldKeys.count * 2)
        mask = keys.count - 1
        for i in oldKeys.indices where oldKeys[i] != .max {
            let j = find(oldKeys[i])
            keys[j] = oldKeys[i]
            values[j] = oldValues[i]
        }
    }
}
