/// A pickle interpreter that understands only what `torch.save` writes for tensors and
/// refuses everything else. It never imports, calls or constructs anything: accepted globals
/// are recognized by name and mapped to the data they stand for (`PickleGlobal`), and the
/// only "calls" it performs are those globals' tensor-rebuilding steps, on plain values.
///
/// Supported opcodes are the protocol 2 subset `torch.save` uses (plus the protocol 4
/// framing, memo and short-string forms); `GLOBAL`/`STACK_GLOBAL` of anything outside the
/// allow-list fails immediately with the global's name, before any argument is built.
struct RestrictedUnpickler {
    static let maximumStackDepth = 1 << 20
    static let maximumMarkDepth = 1 << 12
    /// Containers (tuples, lists, dicts) may nest this deep; `torch.save` output nests a few
    /// levels. Checked while building, because a value nested tens of thousands of levels
    /// deep overflows the stack when it is merely released.
    static let maximumNesting = 32

    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    /// Nesting depth of each stack item (1 for scalars; lists and dicts keep theirs).
    private var depths: [Int] = []
    private var marks: [Int] = []
    private var memo: [Int: (value: PickleValue, depth: Int)] = [:]
    private let containers = PickleContainers()

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The object a pickle builds, with the lists and dicts in it.
    struct Loaded {
        let object: PickleValue
        /// Empty them (`breakCycles()`) when done with `object`: a pickle can make a list
        /// hold itself, a cycle reference counting never frees.
        let containers: PickleContainers
    }

    /// Interprets the whole pickle and returns the object it builds. On failure the lists and
    /// dicts built so far are emptied before the error is thrown.
    static func load(_ bytes: [UInt8]) throws(PickleRefusal) -> Loaded {
        var machine = RestrictedUnpickler(bytes)
        do {
            return Loaded(object: try machine.run(), containers: machine.containers)
        } catch {
            machine.containers.breakCycles()
            throw error
        }
    }

    // MARK: - Reading the stream

    private mutating func byte() throws(PickleRefusal) -> UInt8 {
        guard position < bytes.count else { throw .malformed("the pickle ends before its STOP opcode") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws(PickleRefusal) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw .malformed("a \(count)-byte field runs past the end of the pickle")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    private mutating func little(_ count: Int) throws(PickleRefusal) -> UInt64 {
        var value: UInt64 = 0
        for (shift, byte) in try take(count).enumerated() { value |= UInt64(byte) << UInt64(8 * shift) }
        return value
    }

    private mutating func line() throws(PickleRefusal) -> String {
        guard let end = bytes[position...].prefix(256).firstIndex(of: 0x0A) else {
            throw .malformed("a GLOBAL name is not terminated within 256 bytes")
        }
        let text = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        return text
    }

    private func utf8(_ slice: ArraySlice<UInt8>) throws(PickleRefusal) -> String {
        let text = String(decoding: slice, as: UTF8.self)
        guard text.utf8.elementsEqual(slice) else { throw .malformed("a string is not valid UTF-8") }
        return text
    }

    // MARK: - Stack

    private mutating func push(_ value: PickleValue, depth: Int = 1) throws(PickleRefusal) {
        guard stack.count < Self.maximumStackDepth else { throw .malformed("the stack grows beyond \(Self.maximumStackDepth) items") }
        guard depth <= Self.maximumNesting else { throw .malformed("containers nest deeper than \(Self.maximumNesting) levels") }
        stack.append(value)
        depths.append(depth)
    }

    private mutating func pop() throws(PickleRefusal) -> PickleValue {
        try popWithDepth().value
    }

    private mutating func popWithDepth() throws(PickleRefusal) -> (value: PickleValue, depth: Int) {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast(), let depth = depths.popLast() else {
            throw .malformed("an opcode pops from an empty stack")
        }
        return (value, Self.depth(of: value, stored: depth))
    }

    /// The items above the last MARK and the deepest of them.
    private mutating func popMarkWithDepth() throws(PickleRefusal) -> (items: [PickleValue], depth: Int) {
        guard let mark = marks.popLast(), mark <= stack.count else { throw .malformed("an opcode needs a MARK that is not there") }
        let items = Array(stack[mark...])
        let depth = zip(items, depths[mark...]).map { Self.depth(of: $0, stored: $1) }.max() ?? 0
        stack.removeSubrange(mark...)
        depths.removeSubrange(mark...)
        return (items, depth)
    }

    /// Lists and dicts grow after they are pushed, so their depth lives in the object.
    private static func depth(of value: PickleValue, stored: Int) -> Int {
        switch value {
        case .list(let list): list.depth
        case .dict(let dict): dict.depth
        default: stored
        }
    }

    /// Pushes a tuple of items whose deepest is `depth` levels deep.
    private mutating func pushTuple(_ items: [PickleValue], deepest depth: Int) throws(PickleRefusal) {
        try push(.tuple(items), depth: depth + 1)
    }

    /// Records that a container now holds an item `depth` levels deep.
    private static func deepen(_ container: inout Int, holding depth: Int) throws(PickleRefusal) {
        container = max(container, depth + 1)
        guard container <= maximumNesting else { throw .malformed("containers nest deeper than \(maximumNesting) levels") }
    }

    private mutating func top() throws(PickleRefusal) -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw .malformed("an opcode needs a value on an empty stack") }
        return value
    }

    private mutating func memoize(_ index: Int) throws(PickleRefusal) {
        memo[index] = (try top(), depths.last ?? 1)
    }

    // MARK: - Interpreting

    private mutating func run() throws(PickleRefusal) -> PickleValue {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try byte()
                guard (2...5).contains(version) else { throw .malformed("pickle protocol \(version) is not one torch.save writes") }
            case 0x95:  // FRAME (protocol 4): a length hint only
                _ = try take(8)
            case 0x2E:  // STOP
                let result = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw .malformed("values are left on the stack at STOP") }
                return result
            case 0x28:  // MARK
                guard marks.count < Self.maximumMarkDepth else { throw .malformed("MARKs nest deeper than \(Self.maximumMarkDepth)") }
                marks.append(stack.count)
            case 0x7D: try push(containers.track(.dict(PickleDict())))  // EMPTY_DICT
            case 0x5D: try push(containers.track(.list(PickleList())))  // EMPTY_LIST
            case 0x29: try push(.tuple([]))  // EMPTY_TUPLE
            case 0x74:  // TUPLE
                let (items, depth) = try popMarkWithDepth()
                try pushTuple(items, deepest: depth)
            case 0x85:  // TUPLE1
                let first = try popWithDepth()
                try pushTuple([first.value], deepest: first.depth)
            case 0x86:  // TUPLE2
                let second = try popWithDepth()
                let first = try popWithDepth()
                try pushTuple([first.value, second.value], deepest: max(first.depth, second.depth))
            case 0x87:  // TUPLE3
                let third = try popWithDepth()
                let second = try popWithDepth()
                let first = try popWithDepth()
                try pushTuple([first.value, second.value, third.value], deepest: max(first.depth, second.depth, third.depth))
            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try little(4)))))  // BININT
            case 0x4B: try push(.int(Int(try byte())))  // BININT1
            case 0x4D: try push(.int(Int(try little(2))))  // BININT2
            case 0x8A:  // LONG1: little-endian two's complement
                let count = Int(try byte())
                guard count <= 8 else { throw .malformed("an integer of \(count) bytes is too large for a tensor index") }
                let raw = try little(count)
                let shift = UInt64(64 - 8 * count)
                try push(.int(count == 0 ? 0 : Int(Int64(bitPattern: raw << shift) >> Int64(shift))))
            case 0x47:  // BINFLOAT: big-endian double
                var bits: UInt64 = 0
                for byte in try take(8) { bits = bits << 8 | UInt64(byte) }
                try push(.float(Double(bitPattern: bits)))
            case 0x58: try push(.string(try utf8(try take(Int(try little(4))))))  // BINUNICODE
            case 0x8C: try push(.string(try utf8(try take(Int(try byte())))))  // SHORT_BINUNICODE
            case 0x8D:  // BINUNICODE8
                let count = try little(8)
                guard count <= UInt64(bytes.count) else { throw .malformed("a \(count)-byte string runs past the end of the pickle") }
                try push(.string(try utf8(try take(Int(count)))))
            case 0x55: try push(.string(latin1(try take(Int(try byte())))))  // SHORT_BINSTRING (Python 2 str)
            case 0x54: try push(.string(latin1(try take(Int(Int32(truncatingIfNeeded: try little(4)))))))  // BINSTRING
            case 0x43: try push(.bytes(Array(try take(Int(try byte())))))  // SHORT_BINBYTES
            case 0x42: try push(.bytes(Array(try take(Int(try little(4))))))  // BINBYTES
            case 0x71: try memoize(Int(try byte()))  // BINPUT
            case 0x72: try memoize(Int(try little(4)))  // LONG_BINPUT
            case 0x94: try memoize(memo.count)  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let index = opcode == 0x68 ? Int(try byte()) : Int(try little(4))
                guard let entry = memo[index] else { throw .malformed("memo entry \(index) is read before it is written") }
                try push(entry.value, depth: entry.depth)
            case 0x61:  // APPEND
                let item = try popWithDepth()
                let list = try appendTarget()
                try Self.deepen(&list.depth, holding: item.depth)
                list.items.append(item.value)
            case 0x65:  // APPENDS
                let (items, depth) = try popMarkWithDepth()
                let list = try appendTarget()
                try Self.deepen(&list.depth, holding: depth)
                list.items.append(contentsOf: items)
            case 0x73:  // SETITEM
                let value = try popWithDepth()
                let key = try popWithDepth()
                let dict = try setItemTarget()
                try Self.deepen(&dict.depth, holding: max(key.depth, value.depth))
                dict.pairs.append((key.value, value.value))
            case 0x75:  // SETITEMS
                let (items, depth) = try popMarkWithDepth()
                guard items.count % 2 == 0 else { throw .malformed("SETITEMS has an odd number of items") }
                let target = try setItemTarget()
                try Self.deepen(&target.depth, holding: depth)
                for index in stride(from: 0, to: items.count, by: 2) { target.pairs.append((items[index], items[index + 1])) }
            case 0x63:  // GLOBAL
                let module = try line()
                let name = try line()
                try push(.global(try allowedGlobal(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw .malformed("STACK_GLOBAL needs a module and a name string")
                }
                try push(.global(try allowedGlobal(module: module, name: name)))
            case 0x52:  // REDUCE
                let arguments = try pop()
                guard case .global(let function) = try pop() else { throw .callNotAllowed("REDUCE on a value that is not an allowed global") }
                guard case .tuple(let items) = arguments else { throw .malformed("REDUCE arguments for \(function.qualifiedName) are not a tuple") }
                try push(containers.track(try PickleCalls.call(function, items)))
            case 0x62:  // BUILD: only an OrderedDict's attribute state (state_dict()._metadata), which is dropped
                let state = try pop()
                guard case .dict = try top() else { throw .callNotAllowed("BUILD (setting state) on \(try top().kindName)") }
                guard case .dict = state else { throw .callNotAllowed("BUILD with \(state.kindName) as state") }
            case 0x51:  // BINPERSID
                try push(.storage(try PickleCalls.persistentStorage(try pop())))
            default:
                throw .opcodeNotAllowed(opcode, Self.opcodeNames[opcode] ?? "unknown")
            }
        }
    }

    private mutating func appendTarget() throws(PickleRefusal) -> PickleList {
        guard case .list(let list) = try top() else { throw .malformed("APPEND to \(try top().kindName)") }
        return list
    }

    private mutating func setItemTarget() throws(PickleRefusal) -> PickleDict {
        guard case .dict(let dict) = try top() else { throw .malformed("SETITEM on \(try top().kindName)") }
        return dict
    }

    private func allowedGlobal(module: String, name: String) throws(PickleRefusal) -> PickleGlobal {
        guard let global = try PickleGlobal.resolve(module: module, name: name) else {
            throw .globalNotAllowed("\(module).\(name)")
        }
        return global
    }

    private func latin1(_ slice: ArraySlice<UInt8>) -> String {
        String(String.UnicodeScalarView(slice.map { Unicode.Scalar($0) }))
    }

    /// Names of opcodes that are refused, for error messages.
    static let opcodeNames: [UInt8: String] = [
        0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
        0x50: "PERSID", 0x49: "INT", 0x4C: "LONG", 0x53: "STRING", 0x56: "UNICODE", 0x46: "FLOAT", 0x67: "GET",
        0x70: "PUT", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x6C: "LIST", 0x64: "DICT", 0x8F: "EMPTY_SET",
        0x90: "ADDITEMS", 0x91: "FROZENSET", 0x8B: "LONG4", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
}

/// What the accepted globals do when "called": build plain values, never run code.
enum PickleCalls {
    static func call(_ function: PickleGlobal, _ arguments: [PickleValue]) throws(PickleRefusal) -> PickleValue {
        switch function {
        case .orderedDict:
            guard arguments.isEmpty else { throw .callNotAllowed("collections.OrderedDict with arguments") }
            return .dict(PickleDict())
        case .rebuildTensorV2:
            guard (6...7).contains(arguments.count) else {
                throw .invalidTensorArguments("_rebuild_tensor_v2 takes 6 or 7 arguments, got \(arguments.count)")
            }
            guard case .storage(let storage) = arguments[0] else { throw .invalidTensorArguments("the first argument is \(arguments[0].kindName), not a storage") }
            guard let dtype = storage.dtype else { throw .invalidTensorArguments("an untyped storage needs _rebuild_tensor_v3's dtype") }
            return .tensor(try tensor(storage: storage, dtype: dtype, arguments))
        case .rebuildTensorV3:
            guard (7...8).contains(arguments.count) else {
                throw .invalidTensorArguments("_rebuild_tensor_v3 takes 7 or 8 arguments, got \(arguments.count)")
            }
            guard case .storage(let storage) = arguments[0] else { throw .invalidTensorArguments("the first argument is \(arguments[0].kindName), not a storage") }
            guard case .global(.dtype(_, let dtype)) = arguments[6] else { throw .invalidTensorArguments("the dtype argument is \(arguments[6].kindName)") }
            return .tensor(try tensor(storage: storage, dtype: dtype, arguments))
        case .rebuildParameter, .rebuildParameterWithState:
            guard arguments.count == (function.qualifiedName.hasSuffix("with_state") ? 4 : 3), case .tensor = arguments[0] else {
                throw .invalidTensorArguments("\(function.qualifiedName) needs a tensor and its flags")
            }
            return arguments[0]
        case .storageType, .dtype:
            throw .callNotAllowed(function.qualifiedName)
        }
    }

    private static func tensor(storage: PickleStorage, dtype: DType, _ arguments: [PickleValue]) throws(PickleRefusal) -> PickleTensor {
        guard case .int(let offset) = arguments[1], offset >= 0 else { throw .invalidTensorArguments("the storage offset is not a non-negative integer") }
        let shape = try integers(arguments[2], what: "size")
        let stride = try integers(arguments[3], what: "stride")
        guard shape.count == stride.count else { throw .invalidTensorArguments("size \(shape) and stride \(stride) differ in length") }
        guard case .bool = arguments[4] else { throw .invalidTensorArguments("requires_grad is \(arguments[4].kindName)") }
        guard case .dict = arguments[5] else { throw .invalidTensorArguments("backward hooks are \(arguments[5].kindName)") }
        return PickleTensor(storage: storage, dtype: dtype, storageOffset: offset, shape: shape, stride: stride)
    }

    private static func integers(_ value: PickleValue, what: String) throws(PickleRefusal) -> [Int] {
        guard case .tuple(let items) = value else { throw .invalidTensorArguments("the \(what) is \(value.kindName), not a tuple") }
        var result: [Int] = []
        for item in items {
            guard case .int(let number) = item, number >= 0 else { throw .invalidTensorArguments("the \(what) holds \(item.kindName) or a negative number") }
            result.append(number)
        }
        return result
    }

    /// `('storage', torch.FloatStorage, key, location, numel)` → a storage reference.
    static func persistentStorage(_ id: PickleValue) throws(PickleRefusal) -> PickleStorage {
        guard case .tuple(let items) = id, items.count == 5, case .string("storage") = items[0] else {
            throw .callNotAllowed("persistent_load of anything but a storage")
        }
        guard case .global(.storageType(let typeName, let dtype)) = items[1] else {
            throw .invalidTensorArguments("the storage type is \(items[1].kindName)")
        }
        guard case .string(let key) = items[2], case .string(let location) = items[3], case .int(let count) = items[4], count >= 0 else {
            throw .invalidTensorArguments("the storage id is not (key, location, size)")
        }
        return PickleStorage(key: key, typeName: typeName, dtype: dtype, location: location, count: count)
    }
}
