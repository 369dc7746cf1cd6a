#!/usr/bin/env python3
"""Robustness spot-check (`make corrupt-inputs`): random corruptions of the committed sample
files go through the `provenance` binary, which must answer every one with exit status
0, 1 or 2 and, on 2, an `error:` sentence; never crash, hang or leave a partial output file.

Cases (seeded, so a run is reproducible):
  - safetensors and GGUF samples: random byte flips, truncations, flips inside the header,
    through `inspect` and `fingerprint -o`;
  - the PyTorch sample: the same, plus edits inside `data.pkl` in a re-zipped archive with
    valid CRCs, so the restricted unpickler itself sees them;
  - two exported fingerprints (a dense release, and an MoE release with expert tables): flips
    and truncations through `inspect`, `import` into a fresh registry and `scan`; no corrupted
    file may be imported.

Usage: eval/corrupt_inputs.py PROVENANCE_BINARY [CASES_PER_FILE] [SEED]
"""
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def damage(data, rng, header_bytes=4096):
    """One random corruption: byte flips anywhere, a truncation, or flips near the start."""
    mode = rng.choice(["flip", "truncate", "header"])
    b = bytearray(data)
    if mode == "flip":
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif mode == "truncate":
        b = b[: rng.randrange(len(b))]
    else:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(min(len(b), header_bytes))] = rng.randrange(256)
    return bytes(b)


def damage_pickle(data, rng):
    """Edits inside data.pkl of a PyTorch zip archive, re-zipped with valid CRCs."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for name in source.namelist():
            content = bytearray(source.read(name))
            if name.endswith("data.pkl"):
                for _ in range(rng.randint(1, 6)):
                    content[rng.randrange(len(content))] = rng.randrange(256)
            target.writestr(name, bytes(content))
    return out.getvalue()


class Checker:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.runs = 0
        self.problems = []

    def run(self, case, args, allowed=(0, 2), output=None):
        """Runs the binary; records anything but an allowed status with a proper error."""
        if output and os.path.exists(output):
            os.remove(output)
        self.runs += 1
        env = dict(os.environ, PROVENANCE_FINGERPRINTS="")
        try:
            result = subprocess.run([self.binary] + args, capture_output=True, timeout=60, env=env)
        except subprocess.TimeoutExpired:
            self.problems.append(f"{case}: {args[0]} hung (> 60 s)")
            return None
        status = result.returncode
        if status not in allowed:
            self.problems.append(f"{case}: {args[0]} exited with {status}: {result.stderr[-300:]!r}")
        elif status == 2 and not result.stderr.startswith(b"error:"):
            self.problems.append(f"{case}: {args[0]} failed without an error sentence: {result.stderr[-200:]!r}")
        if output and status == 2 and os.path.exists(output):
            self.problems.append(f"{case}: {args[0]} failed but left {output}")
        return status


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    work = tempfile.mkdtemp(prefix="corrupt-inputs-")
    checker = Checker(binary, work)
    output = os.path.join(work, "out.fingerprint.safetensors")
    try:
        for sample, name in [("Samples/acme-tiny-chat/model.safetensors", "case.safetensors"),
                             ("Samples/acme-tiny-chat-q8_0.gguf", "case.gguf")]:
            data = open(os.path.join(REPO, sample), "rb").read()
            for index in range(cases):
                path = os.path.join(work, name)
                open(path, "wb").write(damage(data, rng))
                case = f"{sample} #{index}"
                checker.run(case, ["inspect", path])
                checker.run(case, ["fingerprint", path, "-o", output, "-q"], output=output)

        sample = "Samples/acme-tiny-chat-pytorch/pytorch_model.bin"
        data = open(os.path.join(REPO, sample), "rb").read()
        for index in range(2 * cases):
            directory = os.path.join(work, "pytorch")
            shutil.rmtree(directory, ignore_errors=True)
            os.makedirs(directory)
            corrupted = damage_pickle(data, rng) if rng.random() < 1 / 3 else damage(data, rng)
            open(os.path.join(directory, "pytorch_model.bin"), "wb").write(corrupted)
            case = f"{sample} #{index}"
            checker.run(case, ["inspect", directory])
            checker.run(case, ["fingerprint", directory, "-o", output, "-q"], output=output)

        imported = 0
        # The MoE release's file has expert tables (format version 2): its JSON header is longer.
        for sample, header_bytes in [("Fingerprints/acme__tiny-chat@1.0.fingerprint.safetensors", 6000),
                                     ("Fingerprints/acme__tiny-moe@1.0.fingerprint.safetensors", 40000)]:
            data = open(os.path.join(REPO, sample), "rb").read()
            for index in range(cases):
                path = os.path.join(work, "case.fingerprint.safetensors")
                corrupted = damage(data, rng, header_bytes=header_bytes)
                if corrupted == data:
                    continue
                open(path, "wb").write(corrupted)
                registry = os.path.join(work, f"registry-{index}.sqlite")
                for leftover in [registry, registry + "-wal", registry + "-shm"]:
                    if os.path.exists(leftover):
                        os.remove(leftover)
                case = f"{sample} #{index}"
                checker.run(case, ["inspect", path])
                if checker.run(case, ["import", path, "--registry", registry]) == 0:
                    imported += 1
                checker.run(case, ["scan", path, "--registry", registry], allowed=(0, 1, 2))
        if imported:
            checker.problems.append(f"{imported} corrupted exported fingerprints were imported")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{checker.runs} runs on corrupted inputs, {len(checker.problems)} problems")
    for problem in checker.problems[:20]:
        print("  " + problem)
    sys.exit(1 if checker.problems else 0)


if __name__ == "__main__":
    main()
