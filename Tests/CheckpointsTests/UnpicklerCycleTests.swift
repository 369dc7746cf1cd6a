@testable import Checkpoints
import Testing

/// Found by `make fuzz` (LeakSanitizer): a list appended to itself through the memo is a
/// reference cycle, which reference counting never frees — every such pickle leaked its
/// containers. The unpickler's owner now empties them when done.
@Suite("Self-containing pickle containers are freed")
struct UnpicklerCycleTests {
    /// PROTO 2, EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: `l = []; l.append(l)`.
    static let selfContainingList: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
    /// EMPTY_DICT d (BINPUT 0), "k", EMPTY_LIST l, BINGET 0 + APPEND: l.append(d), SETITEM:
    /// d["k"] = l — a two-container cycle — then STOP.
    static let dictListCycle: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x8C, 0x01, 0x6B, 0x5D, 0x68, 0x00, 0x61, 0x73, 0x2E]

    @Test("a list holding itself is freed once the owner is done with it")
    func selfContaining() throws {
        weak var list: PickleList?
        do {
            let loaded = try RestrictedUnpickler.load(Self.selfContainingList)
            guard case .list(let built) = loaded.object else { Issue.record("not a list: \(loaded.object.kindName)"); return }
            #expect(built.items.count == 1)
            if case .list(let inner) = built.items[0] { #expect(inner === built) } else { Issue.record("the item is not the list itself") }
            list = built
            loaded.containers.breakCycles()
        }
        #expect(list == nil, "the self-containing list leaked")
    }

    @Test("a cycle through a dict and a list is freed, also when unpickling fails afterwards")
    func failedAfterCycle() throws {
        weak var dict: PickleDict?
        // The same cycle, left on the stack with another value: STOP refuses it.
        let bytes = Self.dictListCycle.dropLast() + [0x4E, 0x2E]  // NONE, STOP: two values left
        do {
            _ = try RestrictedUnpickler.load(Array(bytes))
            Issue.record("a pickle leaving two values was accepted")
        } catch {
            #expect("\(error)".contains("left on the stack"), "\(error)")
        }
        do {
            let loaded = try RestrictedUnpickler.load(Self.dictListCycle)
            guard case .dict(let built) = loaded.object else { Issue.record("not a dict: \(loaded.object.kindName)"); return }
            guard case .list(let list)? = built.pairs.first?.value, case .dict(let inner)? = list.items.first else {
                Issue.record("not d = {\"k\": [d]}"); return
            }
            #expect(inner === built)
            dict = built
            loaded.containers.breakCycles()
        }
        #expect(dict == nil, "the dict–list cycle leaked")
    }
}
