/// A value rebuilt by `RestrictedUnpickler`: plain data, the few globals a tensor
/// checkpoint needs, storages and tensors. Nothing here can run code.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(PickleStorage)
    case tensor(PickleTensor)

    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int: "an int"
        case .float: "a float"
        case .string: "a string"
        case .bytes: "bytes"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dict: "a dict"
        case .global(let global): global.qualifiedName
        case .storage: "a storage"
        case .tensor: "a tensor"
        }
    }
}

/// A list, shared by reference like Python's (the memo and the stack see the same object).
final class PickleList {
    var items: [PickleValue] = []
    /// Nesting depth (1 + the deepest item), kept by the unpickler.
    var depth = 1
}

/// Every list and dict one unpickling built. Python containers can hold themselves (a list
/// appended to itself through the memo), and such a cycle is never freed by reference
/// counting; the owner empties them all when done with the object, or at the latest on deinit.
final class PickleContainers {
    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []

    /// Records `value` if it is a list or dict, and returns it.
    func track(_ value: PickleValue) -> PickleValue {
        switch value {
        case .list(let list): lists.append(list)
        case .dict(let dict): dicts.append(dict)
        default: break
        }
        return value
    }

    /// Empties every recorded container, which breaks any cycle among them.
    func breakCycles() {
        for list in lists { list.items.removeAll() }
        for dict in dicts { dict.pairs.removeAll() }
        lists.removeAll()
        dicts.removeAll()
    }

    deinit { breakCycles() }
}

/// A dict or `OrderedDict` in insertion order, shared by reference.
final class PickleDict {
    var pairs: [(key: PickleValue, value: PickleValue)] = []
    /// Nesting depth (1 + the deepest key or value), kept by the unpickler.
    var depth = 1
}

/// The globals the unpickler accepts: each is data or a pure tensor-rebuilding step.
enum PickleGlobal {
    case orderedDict
    case rebuildTensorV2
    case rebuildTensorV3
    case rebuildParameter
    case rebuildParameterWithState
    /// `torch.FloatStorage` etc. (`dtype == nil`: `torch.UntypedStorage`, bytes).
    case storageType(name: String, dtype: DType?)
    /// `torch.float16` etc., as `_rebuild_tensor_v3` receives them.
    case dtype(name: String, DType)

    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case .storageType(let name, _): "torch.\(name)"
        case .dtype(let name, _): "torch.\(name)"
        }
    }

    static let storageTypes: [String: DType] = [
        "DoubleStorage": .f64, "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool, "ComplexFloatStorage": .c64,
    ]
    /// Storage types torch defines that hold nothing this tool can read.
    static let unreadableStorageTypes: Set<String> = [
        "ComplexDoubleStorage", "QUInt8Storage", "QInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
    ]
    static let dtypes: [String: DType] = [
        "float64": .f64, "double": .f64, "float32": .f32, "float": .f32, "float16": .f16, "half": .f16,
        "bfloat16": .bf16, "int64": .i64, "long": .i64, "int32": .i32, "int": .i32, "int16": .i16, "short": .i16,
        "int8": .i8, "uint8": .u8, "bool": .bool, "uint16": .u16, "uint32": .u32, "uint64": .u64,
        "float8_e4m3fn": .f8E4M3, "float8_e5m2": .f8E5M2, "float8_e4m3fnuz": .f8E4M3FNUZ,
        "float8_e5m2fnuz": .f8E5M2FNUZ, "float8_e8m0fnu": .f8E8M0, "complex64": .c64,
    ]

    /// The accepted global `module.name`, or `nil` if it is not one.
    static func resolve(module: String, name: String) throws(PickleRefusal) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch", "UntypedStorage"), ("torch.storage", "UntypedStorage"): return .storageType(name: "UntypedStorage", dtype: nil)
        case ("torch", _):
            if let dtype = storageTypes[name] { return .storageType(name: name, dtype: dtype) }
            if unreadableStorageTypes.contains(name) { throw .unsupportedStorage("torch.\(name)") }
            if let dtype = dtypes[name] { return .dtype(name: name, dtype) }
            return nil
        default:
            return nil
        }
    }
}

/// A storage named by a persistent id: `('storage', torch.FloatStorage, '0', 'cpu', numel)`.
struct PickleStorage {
    var key: String
    var typeName: String
    /// Element type of a typed storage; `nil` for `UntypedStorage` (bytes).
    var dtype: DType?
    var location: String
    /// Elements (bytes for an untyped storage).
    var count: Int
}

/// A tensor as `_rebuild_tensor_v2/_v3` describes it: a strided view of a storage.
struct PickleTensor {
    var storage: PickleStorage
    var dtype: DType
    /// Offset into the storage, in elements of `dtype`.
    var storageOffset: Int
    var shape: [Int]
    var stride: [Int]
}

/// Why an unpickling step was refused (mapped to a `CheckpointError` by the caller).
enum PickleRefusal: Error {
    case globalNotAllowed(String)
    case opcodeNotAllowed(UInt8, String)
    case callNotAllowed(String)
    case malformed(String)
    case unsupportedStorage(String)
    case invalidTensorArguments(String)
}
