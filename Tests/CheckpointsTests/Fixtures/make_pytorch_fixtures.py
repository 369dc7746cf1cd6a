#!/usr/bin/env python3
"""Regenerates the committed PyTorch checkpoint fixtures without torch.

torch.save (zip format, torch >= 1.6) is reproduced with Python's own pickle module and
stand-ins for the few torch objects it pickles, registered under their real module names
so the pickle stream is the one torch writes: protocol 2, `torch._utils._rebuild_tensor_v2`
reduces, storages as persistent ids ('storage', torch.FloatStorage, key, 'cpu', numel), an
OrderedDict state dict carrying `_metadata` (BUILD), records `<archive>/data.pkl`,
`byteorder`, `data/<key>`, `version`. Offline only; the Swift tests never run Python.

    python3 Tests/CheckpointsTests/Fixtures/make_pytorch_fixtures.py

Writes under Fixtures/PyTorch/:
  tiny/pytorch_model.bin + tiny/expected.json   tensors of several dtypes, a tied weight
                                                 (shared storage), an offset view, a scalar
  sharded/pytorch_model-0000N-of-00002.bin + pytorch_model.bin.index.json
  parameters.pt        nn.Parameter values (_rebuild_parameter) and a nested dict (training checkpoint)
  transposed.bin       a non-contiguous (transposed) view, which must be refused
  malicious/*.bin      pickles calling os.system, builtins.eval, torch.nn.Module classes, ...
  legacy.bin           a pre-1.6 bare-pickle checkpoint, which must be refused
"""
import collections
import io
import json
import pickle
import struct
import sys
import types
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "PyTorch"

# --- stand-ins for torch, registered under the real module names -----------------------------
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils
torch._utils = torch_utils

STORAGE_TYPES = {"f4": "FloatStorage", "f2": "HalfStorage", "bf16": "BFloat16Storage", "i8": "LongStorage",
                 "i4": "IntStorage", "u1": "ByteStorage", "b1": "BoolStorage", "f8": "DoubleStorage"}
for storage_name in STORAGE_TYPES.values():
    cls = type(storage_name, (), {})
    cls.__module__ = "torch"
    setattr(torch, storage_name, cls)


def _rebuild_tensor_v2(*args):
    raise RuntimeError("stand-in, never called")


def _rebuild_parameter(*args):
    raise RuntimeError("stand-in, never called")


for fn in (_rebuild_tensor_v2, _rebuild_parameter):
    fn.__module__ = "torch._utils"
    fn.__qualname__ = fn.__name__
    setattr(torch_utils, fn.__name__, fn)


class Storage:
    """A storage: raw little-endian bytes of `count` elements of `kind`."""
    def __init__(self, kind, data: bytes, count: int):
        self.kind, self.data, self.count = kind, data, count


class Tensor:
    def __init__(self, storage, offset, shape, stride=None):
        self.storage, self.offset, self.shape = storage, offset, tuple(shape)
        if stride is None:
            stride, step = [], 1
            for dim in reversed(shape):
                stride.insert(0, step)
                step *= dim
        self.stride = tuple(stride)

    def __reduce_ex__(self, protocol):
        return (torch_utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.shape, self.stride, False, collections.OrderedDict()))


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce_ex__(self, protocol):
        return (torch_utils._rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


def pack(kind, values):
    if kind == "bf16":
        return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)
    if kind == "b1":
        return bytes(1 if v else 0 for v in values)
    fmt = {"f4": "f", "f2": "e", "i8": "q", "i4": "i", "u1": "B", "f8": "d"}[kind]
    return struct.pack("<" + fmt * len(values), *values)


def torch_save(obj, path: Path, archive: str | None = None):
    """torch.save's zip layout with Python's pickle (protocol 2) and persistent ids."""
    archive = archive or path.stem
    keys, storages = {}, []

    class Pickler(pickle.Pickler):
        def persistent_id(self, value):
            if isinstance(value, Storage):
                if id(value) not in keys:
                    keys[id(value)] = str(len(keys))
                    storages.append((keys[id(value)], value))
                storage_type = getattr(torch, STORAGE_TYPES[value.kind])
                return ("storage", storage_type, keys[id(value)], "cpu", value.count)
            return None

    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump(obj)
    records = [("data.pkl", buffer.getvalue()), ("byteorder", b"little")]
    records += [(f"data/{key}", storage.data) for key, storage in sorted(storages, key=lambda item: item[0])]
    records += [("version", b"3\n")]
    write_zip(path, [(f"{archive}/{name}", data) for name, data in records])


def write_zip(path: Path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in records:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, data)


def state_dict(pairs):
    """An OrderedDict with `_metadata`, as nn.Module.state_dict() returns it."""
    result = collections.OrderedDict(pairs)
    result._metadata = collections.OrderedDict([("", {"version": 1}), ("a", {"version": 1})])
    return result


def tiny():
    weight = Storage("f4", pack("f4", [i / 8 - 1 for i in range(12)]), 12)
    bias = Storage("f2", pack("f2", [0.5, -0.25, 2.0, 1024.0, -0.0]), 5)
    big = Storage("f4", pack("f4", [i / 4 for i in range(20)]), 20)
    bf = Storage("bf16", pack("bf16", [1.0, -2.0, 0.5, 3.0]), 4)
    ids = Storage("i8", pack("i8", [0, 1, -5]), 3)
    mask = Storage("b1", pack("b1", [True, False, True]), 3)
    scale = Storage("f8", pack("f8", [0.125]), 1)
    tensors = state_dict([
        ("a.weight", Tensor(weight, 0, (3, 4))),
        ("a.bias", Tensor(bias, 0, (5,))),
        ("tied.weight", Tensor(weight, 0, (3, 4))),       # shares a.weight's storage
        ("view.weight", Tensor(big, 8, (2, 4))),          # rows 2..3 of a 5×4 storage
        ("bf.weight", Tensor(bf, 0, (2, 2))),
        ("position_ids", Tensor(ids, 0, (1, 3), (3, 1))),
        ("mask", Tensor(mask, 0, (3,))),
        ("scale", Tensor(scale, 0, ())),
    ])
    torch_save(tensors, HERE / "tiny" / "pytorch_model.bin")
    expected = {
        "a.weight": {"dtype": "F32", "shape": [3, 4], "values": [i / 8 - 1 for i in range(12)]},
        "a.bias": {"dtype": "F16", "shape": [5], "values": [0.5, -0.25, 2.0, 1024.0, -0.0]},
        "tied.weight": {"dtype": "F32", "shape": [3, 4], "values": [i / 8 - 1 for i in range(12)]},
        "view.weight": {"dtype": "F32", "shape": [2, 4], "values": [i / 4 for i in range(8, 16)]},
        "bf.weight": {"dtype": "BF16", "shape": [2, 2], "values": [1.0, -2.0, 0.5, 3.0]},
        "position_ids": {"dtype": "I64", "shape": [1, 3], "values": [0, 1, -5]},
        "mask": {"dtype": "BOOL", "shape": [3], "values": [1, 0, 1]},
        "scale": {"dtype": "F64", "shape": [], "values": [0.125]},
    }
    (HERE / "tiny" / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


def sharded():
    out = HERE / "sharded"
    shards = [
        {"layer.0.weight": [0.5 * i for i in range(6)], "layer.0.bias": [1.0, 2.0]},
        {"layer.1.weight": [-0.5 * i for i in range(6)]},
    ]
    weight_map = {}
    for number, tensors in enumerate(shards, start=1):
        name = f"pytorch_model-0000{number}-of-00002.bin"
        pairs = []
        for tensor_name, values in tensors.items():
            shape = (2, 3) if len(values) == 6 else (2,)
            pairs.append((tensor_name, Tensor(Storage("f4", pack("f4", values), len(values)), 0, shape)))
            weight_map[tensor_name] = name
        torch_save(state_dict(pairs), out / name)
    index = {"metadata": {"total_size": 56}, "weight_map": weight_map}
    (out / "pytorch_model.bin.index.json").write_text(json.dumps(index, indent=1) + "\n")


def parameters():
    storage = Storage("f4", pack("f4", [1.0, 2.0, 3.0, 4.0]), 4)
    checkpoint = {"epoch": 3, "model": {"linear.weight": Parameter(Tensor(storage, 0, (2, 2))),
                                        "linear.bias": Parameter(Tensor(storage, 2, (2,)))},
                  "note": "trained", "losses": [0.5, 0.25]}
    torch_save(checkpoint, HERE / "parameters.pt", archive="archive")


def transposed():
    storage = Storage("f4", pack("f4", [float(i) for i in range(6)]), 6)
    torch_save(state_dict([("t.weight", Tensor(storage, 0, (3, 2), (1, 3)))]), HERE / "transposed.bin")


def malicious():
    out = HERE / "malicious"

    def pickled_zip(name, pickle_bytes):
        write_zip(out / name, [("archive/data.pkl", pickle_bytes), ("archive/byteorder", b"little"),
                               ("archive/version", b"3\n")])

    # The classic: GLOBAL os.system, REDUCE with a shell command (protocol 2, as pickle writes it).
    pickled_zip("os_system.bin", b"\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.")
    # builtins.eval through STACK_GLOBAL (protocol 4 form).
    pickled_zip("eval_stack_global.bin",
                b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x0b__import__('os')\x94\x85\x94R\x94.")

    # A valid state dict with one entry whose value is a __reduce__ to posix.system: the refusal
    # must come at the global, even after legitimate tensors.
    class Evil:
        def __reduce__(self):
            import os
            return (os.system, ("echo pwned",))

    storage = Storage("f4", pack("f4", [1.0, 2.0]), 2)
    torch_save(state_dict([("ok.weight", Tensor(storage, 0, (2,))), ("evil", Evil())]), out / "nested_reduce.bin")

    # A whole module pickled (torch.save(model)) names a class that would be imported and built.
    pickled_zip("module_class.bin", b"\x80\x02ctorch.nn.modules.linear\nLinear\nq\x00)\x81q\x01}q\x02b.")
    # NEWOBJ on an allowed global, and INST (protocol 0 object construction).
    pickled_zip("newobj.bin", b"\x80\x02ccollections\nOrderedDict\nq\x00)\x81q\x01.")
    pickled_zip("inst.bin", b"(ios\nsystem\nS'echo pwned'\no.")


def legacy():
    # torch < 1.6: magic number, protocol version and sys info pickled back to back, no zip.
    data = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
    (HERE / "legacy.bin").write_bytes(data)


if __name__ == "__main__":
    tiny()
    sharded()
    parameters()
    transposed()
    malicious()
    legacy()
    for path in sorted(HERE.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(HERE.parent)}  {path.stat().st_size} bytes")
