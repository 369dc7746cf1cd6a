"""The safetensors file the fixture generators write (imported by make_*_fixtures.py)."""
import json
import struct


def write_safetensors(path, records):
    """Writes `records` — (name, dtype name, shape, raw little-endian bytes) in order — as one
    safetensors file: the 8-byte header length, the JSON header padded with spaces to 8 bytes,
    the data."""
    header, offset, blobs = {}, 0, []
    for name, dtype, shape, data in records:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
