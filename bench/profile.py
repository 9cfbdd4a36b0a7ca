"""Shares of a build's perf samples by part, for bench/profile.

Reads `perf script -F ip,sym` on standard input: one stack per sample,
innermost frame first, stacks separated by blank lines. A sample counts
for a part when any frame's symbol contains one of the part's patterns, so
parts may overlap (Markdown includes highlighting); the total of each
group is shown against all samples.
"""

import argparse
import collections
import sys

# (part, patterns): a frame whose symbol contains a pattern is in the part.
PARTS = [
    ("reading the files", ["dossier::load::"]),
    ("Markdown with citations", ["dossier::parse::markdown::render"]),
    ("  code highlighting (syntect)", ["syntect::"]),
    ("  pulldown-cmark", ["pulldown_cmark::"]),
    ("  citations", ["dossier::parse::markdown::Builder::citation"]),
    ("front matter (serde_yaml)", ["serde_yaml::", "unsafe_libyaml::"]),
    ("verifying quotations", ["dossier::resolve::verify_topic"]),
    ("comparing sources", ["dossier::analysis::AnalysisCache::compare"]),
    (
        "search index",
        ["dossier::render::search::outputs", "dossier::render::search::count_numbered"],
    ),
    ("templates (tera)", ["tera::"]),
    ("views into template values", ["dossier::render::ViewValue"]),
    ("JSON (sonic-rs)", ["sonic_rs::"]),
    ("writing files", ["dossier::write::"]),
    ("kernel: page faults", ["asm_exc_page_fault"]),
    ("kernel: system calls", ["entry_SYSCALL_64"]),
    ("  write", ["ksys_write"]),
    ("  read", ["ksys_read"]),
    ("  open", ["do_sys_openat2"]),
    ("  make folders", ["do_mkdirat"]),
    ("allocator (jemalloc)", ["_rjem_", "tikv_jemallocator::"]),
]


def stacks(lines):
    """Each sample's frames' symbols, innermost first."""
    stack = []
    for line in lines:
        line = line.strip()
        if not line:
            if stack:
                yield stack
                stack = []
            continue
        parts = line.split(None, 1)
        stack.append(parts[1] if len(parts) > 1 else parts[0])
    if stack:
        yield stack


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    total = 0
    in_part = collections.Counter()
    own = collections.Counter()
    for stack in stacks(sys.stdin):
        total += 1
        own[stack[0]] += 1
        for name, patterns in PARTS:
            if any(p in frame for frame in stack for p in patterns):
                in_part[name] += 1
    if total == 0:
        sys.exit("bench/profile: perf recorded no samples")

    print(f"\n{total} samples\n\n| part | share of samples |\n| --- | ---: |")
    for name, _ in PARTS:
        print(f"| {name} | {100 * in_part[name] / total:.1f} % |")
    print("\n| function (own samples) | share |\n| --- | ---: |")
    for symbol, count in own.most_common(args.top):
        print(f"| `{symbol[:100]}` | {100 * count / total:.2f} % |")


if __name__ == "__main__":
    main()
