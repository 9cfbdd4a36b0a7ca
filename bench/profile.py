"""Shares of a build's perf samples by part, for bench/profile.

Reads `perf script -F ip,sym` on standard input: one stack per sample,
innermost frame first, stacks separated by blank lines. A sample counts
for a part when any frame's symbol contains one of the part's patterns, so
parts may overlap (Markdown includes highlighting); the total of each
group is shown against all samples.

With `--timeline MS`, reads `perf script -F tid,time,ip,sym` instead (a
header line of thread and time before each stack) and prints, for each
slice of MS milliseconds, how many cores were busy and the two parts that
took most of its samples: where a stage leaves a core idle.
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
    # `Builder::citation` is inlined into `transform`; the parser of a
    # citation's text is not.
    (
        "  citations",
        ["dossier::parse::markdown::Builder::citation", "dossier::parse::citation::"],
    ),
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
    ("  zeroing new memory", ["clear_page", "folio_zero_user"]),
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


def timed_stacks(lines):
    """(time in seconds, frames innermost first) of each sample, from
    `perf script -F tid,time,ip,sym`: a sample starts at a `TID TIME:`
    line (the thread number padded with spaces) and its frames follow, each
    indented with a tab."""
    time, stack = None, []
    for line in lines:
        if not line.strip():
            continue
        if not line.startswith("\t"):
            if time is not None:
                yield time, stack
            time, stack = float(line.split()[1].rstrip(":")), []
            continue
        parts = line.strip().split(None, 1)
        stack.append(parts[1] if len(parts) > 1 else parts[0])
    if time is not None:
        yield time, stack


def on_stack(stack, patterns):
    """Whether a frame's symbol contains one of `patterns`."""
    return any(p in frame for frame in stack for p in patterns)


def part_of(stack):
    """The first part, in the order of PARTS, whose pattern is on the
    stack; the innermost frame when none is."""
    for name, patterns in PARTS:
        if on_stack(stack, patterns):
            return name.strip()
    return stack[0][:40] if stack else "?"


def timeline(lines, slice_ms, rate):
    """Busy cores and the leading parts of each slice of the build."""
    samples = [(time, part_of(stack)) for time, stack in timed_stacks(lines)]
    if not samples:
        sys.exit("bench/profile: perf recorded no samples")
    start = min(time for time, _ in samples)
    slices = collections.defaultdict(collections.Counter)
    for time, part in samples:
        slices[int((time - start) * 1000 // slice_ms)][part] += 1
    print("\n| from | busy cores | most of its samples |\n| ---: | ---: | --- |")
    for n in sorted(slices):
        parts = slices[n]
        count = sum(parts.values())
        lead = ", ".join(f"{name} {100 * c / count:.0f} %" for name, c in parts.most_common(2))
        print(f"| {n * slice_ms} ms | {count / (rate * slice_ms / 1000):.2f} | {lead} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--timeline", type=int, metavar="MS")
    parser.add_argument("--rate", type=int, default=2000, help="perf's samples a second")
    args = parser.parse_args()
    if args.timeline:
        timeline(sys.stdin, args.timeline, args.rate)
        return

    total = 0
    in_part = collections.Counter()
    own = collections.Counter()
    for stack in stacks(sys.stdin):
        total += 1
        own[stack[0]] += 1
        for name, patterns in PARTS:
            if on_stack(stack, patterns):
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
