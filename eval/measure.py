#!/usr/bin/env python3
"""Runs a command and appends `name<TAB>wall seconds<TAB>peak RSS bytes` to a phases file.

    python3 eval/measure.py NAME PHASES_FILE -- COMMAND [ARGS...]

The peak RSS is the largest resident set of any process in the command's tree (getrusage
RUSAGE_CHILDREN, which covers every waited-for descendant). The command's exit status is kept.
"""
import os
import resource
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    name, phases, command = sys.argv[1], sys.argv[2], sys.argv[4:]
    began = time.monotonic()
    status = subprocess.call(command)
    seconds = time.monotonic() - began
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    if status == 0:
        with open(phases, "a") as handle:
            handle.write(f"{name}\t{seconds:.1f}\t{peak}\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
