#!/usr/bin/env python3
"""Generate a reproducible git repository for benchmarks with git fast-import.

usage: generate_repo.py DIR --files N --changed M [--seed S]

Commit `base` holds N Python files in package directories; commit `head` changes M of
them: 70% edits, 15% renames (half with an edit), 15% deletions. Branches: base, head.
"""
import argparse
import random
import subprocess
import sys


def body(rng, index):
    lines = [f'"""Module {index}."""', "", "import os", ""]
    for function in range(rng.randint(2, 8)):
        lines.append(f"def f_{index}_{function}(x):")
        for statement in range(rng.randint(1, 6)):
            lines.append(f"    x = x + {rng.randint(0, 999)}  # step {statement}")
        lines.append("    return x")
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--changed", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    subprocess.run(["git", "init", "-q", "-b", "base", args.directory], check=True)
    paths = [f"pkg{i // 200:03d}/mod_{i:05d}.py" for i in range(args.files)]
    contents = {path: body(rng, i) for i, path in enumerate(paths)}

    out = bytearray()

    def commit(branch, mark, parent, operations):
        out.extend(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
        out.extend(f"committer Bench <bench@example.invalid> {1700000000 + mark} +0000\n".encode())
        message = f"{branch}\n".encode()
        out.extend(f"data {len(message)}\n".encode() + message)
        if parent:
            out.extend(f"from :{parent}\n".encode())
        for op in operations:
            out.extend(op)
        out.extend(b"\n")

    def modify(path, data):
        return f"M 100644 inline {path}\n".encode() + f"data {len(data)}\n".encode() + data + b"\n"

    commit("base", 1, None, [modify(path, contents[path]) for path in paths])

    changed = rng.sample(paths, min(args.changed, len(paths)))
    operations = []
    for number, path in enumerate(changed):
        kind = rng.random()
        if kind < 0.70:
            data = contents[path].replace(b"return x", b"return x + 1", 1)
            operations.append(modify(path, data))
        elif kind < 0.85:
            new_path = path.replace("mod_", "renamed_")
            data = contents[path]
            if number % 2:
                data = data + b"# moved\n"
            operations.append(f"D {path}\n".encode())
            operations.append(modify(new_path, data))
        else:
            operations.append(f"D {path}\n".encode())
    commit("head", 2, 1, operations)

    subprocess.run(["git", "-C", args.directory, "fast-import", "--quiet"], input=bytes(out), check=True)
    subprocess.run(["git", "-C", args.directory, "checkout", "-q", "head"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
