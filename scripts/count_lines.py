#!/usr/bin/env python3
"""Non-test Rust lines of the product, counted as issue 26 counts them: every
`.rs` file under shared/, functions/ and admin/ (not under tests/ or benches/,
build.rs aside), up to its `#[cfg(test)]` module.

  scripts/count_lines.py [REV] [--largest N]   the total at REV (HEAD), and its largest files
  scripts/count_lines.py --since BASE          the total at BASE, then each later
                                               first-parent commit that changed it
"""
import argparse
import subprocess

ROOTS = ["shared", "functions", "admin"]


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def counted(path):
    return path.endswith(".rs") and not path.endswith("build.rs") \
        and "/tests/" not in path and "/benches/" not in path


def lines_before_tests(text):
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "#[cfg(test)]":
            return index
    return len(lines)


def count(rev):
    files = [f for f in git("ls-tree", "-r", "--name-only", rev, *ROOTS).split() if counted(f)]
    return {f: lines_before_tests(git("show", f"{rev}:{f}")) for f in files}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", default="HEAD")
    parser.add_argument("--largest", type=int, default=8)
    parser.add_argument("--since", metavar="BASE")
    args = parser.parse_args()
    if args.since:
        previous = sum(count(args.since).values())
        print(f"{previous:6d}        {args.since}")
        for rev in git("rev-list", "--reverse", "--first-parent", f"{args.since}..{args.rev}").split():
            total = sum(count(rev).values())
            if total != previous:
                subject = git("log", "-1", "--format=%h %s", rev).strip()
                print(f"{total:6d} {total - previous:+6d} {subject[:100]}")
            previous = total
        return
    files = count(args.rev)
    print(sum(files.values()))
    for path, lines in sorted(files.items(), key=lambda item: -item[1])[: args.largest]:
        print(f"{lines:6d} {path}")


if __name__ == "__main__":
    main()
