"""Compare two benchmark results (`--json` files of bench_enrich or bench_e2e): the regression check.

    python -m bench.compare OLD.json NEW.json [--tolerance 0.10] [--all]

Prints every measured figure both runs have, with new/old, and marks a figure `WORSE` when it
moved the wrong way by more than the tolerance (throughput down, time or memory up, a ratio to
a baseline down).  Exit status 1 when any figure is worse, 0 otherwise, so a CI job or a
pre-merge script can run it.  Counts that describe the output rather than its speed (entities
and dates per article, failures) are marked `CHANGED` when they differ at all, without failing
the check: a speed change should not change them, a quality change may.

Figures from different corpora, interpreters or machines do not compare; the check says so
when the runs' `corpus` or `machine` differ.  On a shared machine wall-clock figures swing by
10-20 % between runs minutes apart (BENCHMARKS.md): prefer the CPU-time figures, and compare
runs made back to back, or alternated several times.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import orjson

HIGHER, LOWER, EXACT = "higher is better", "lower is better", "should not change"

# (pattern over the flattened key, direction or None: not judged); the first pattern that matches decides.
# Keys that match none (percentile inputs, timestamps, offered rates ...) are shown with --all only.
RULES: tuple[tuple[re.Pattern, str | None], ...] = tuple((re.compile(p), d) for p, d in (
    # bench_enrich
    (r"^pipeline\.(articles_per_s|articles_per_cpu_s)$", HIGHER),
    (r"^pipeline\.(latency_ms|cpu_ms)\.(mean|p50|p95|p99)$", LOWER),
    (r"^pipeline\.stage_cpu_ms\.\w+\.(mean|p50)$", LOWER),
    (r"^pipeline\.peak_rss_mb$", LOWER),
    (r"^pipeline\.(entities_per_article|dates_per_article|enriched|failed)$", EXACT),
    (r"^startup\.ready_s$", LOWER),
    (r"^ratios\.(pipeline_vs_dateparser_throughput|dates_stage_vs_dateparser_p50)$", HIGHER),
    (r"^ratios\.subset_articles$", None),  # an input size
    # bench_e2e
    (r"^capacity\.\w+\.articles_per_s$", HIGHER),
    (r"^capacity\.\w+\.cpu_ms_per_article\.[^.]+$", LOWER),
    (r"^capacity\.\w+\.worker_rss_mb\.\d+$", LOWER),
    (r"^latency\.\w+\.latency_ms\.(p50|p95|p99)$", LOWER),
    (r"^latency\.\w+\.worker_rss_mb$", LOWER),
    (r"^(ratios|cpu_ratios)\.\w+$", HIGHER),
    (r"^enrichment_alone_per_s$", HIGHER),
    (r"^enrichment_alone_cpu_ms_per_article$", LOWER),
    (r"^shell_cpu_ms_per_article$", LOWER),
    # derived from the two above: it rises when enrichment gets slower, which is no improvement
    (r"^cpu_ratio_expected_from_shell$", None),
))


def flatten(value, prefix: str = "") -> dict[str, float]:
    """{"a": {"b": [1, 2]}} -> {"a.b.0": 1, "a.b.1": 2}; numbers only (booleans are not figures)."""
    out: dict[str, float] = {}
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[prefix] = float(value)
        return out
    for key, item in items:
        out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return out


def direction(key: str) -> str | None:
    for pattern, how in RULES:
        if pattern.search(key):
            return how
    return None


def verdict(how: str | None, old: float, new: float, tolerance: float) -> str:
    if how is None:
        return ""
    if how == EXACT:
        return "CHANGED" if new != old else "same"
    if old == 0:
        return "same" if new == 0 else "n/a"
    change = new / old - 1
    if how == LOWER:
        change = -change
    if change < -tolerance:
        return "WORSE"
    if change > tolerance:
        return "better"
    return "same"


def compare(old: dict, new: dict, tolerance: float, show_all: bool = False) -> tuple[list[tuple], list[str]]:
    """(rows of (key, old, new, new/old, verdict), warnings about what makes the runs unlike)."""
    warnings = []
    if old.get("benchmark") != new.get("benchmark"):
        warnings.append(f"different benchmarks: {old.get('benchmark')} vs {new.get('benchmark')}")
    for field in ("corpus", "machine"):
        if old.get(field) != new.get(field):
            warnings.append(f"different {field}: {old.get(field)} vs {new.get(field)}")
    a, b = flatten(old), flatten(new)
    rows = []
    for key in a.keys() & b.keys():
        if key.startswith("machine."):
            continue
        how = direction(key)
        if how is None and not show_all:
            continue
        ratio = b[key] / a[key] if a[key] else None
        rows.append((key, a[key], b[key], ratio, verdict(how, a[key], b[key], tolerance)))
    order = {key: i for i, key in enumerate(a)}  # the order of the old run's file
    rows.sort(key=lambda r: order[r[0]])
    return rows, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.10,
                        help="relative change still counted as noise (default 0.10: 10 %%)")
    parser.add_argument("--all", action="store_true", help="show the figures no rule judges too")
    args = parser.parse_args(argv)
    old, new = orjson.loads(args.old.read_bytes()), orjson.loads(args.new.read_bytes())
    rows, warnings = compare(old, new, args.tolerance, args.all)
    for w in warnings:
        print(f"warning: {w}: figures may not compare", file=sys.stderr)
    width = max((len(r[0]) for r in rows), default=10)
    print(f"{'figure':<{width}}  {'old':>10}  {'new':>10}  {'new/old':>8}")
    for key, a, b, ratio, mark in rows:
        shown = f"{ratio:8.3f}" if ratio is not None else "       -"
        print(f"{key:<{width}}  {a:>10.4g}  {b:>10.4g}  {shown}  {mark}")
    changed = [r[0] for r in rows if r[4] == "CHANGED"]
    if changed:
        print(f"output counts changed: {', '.join(changed)}")
    worse = [r[0] for r in rows if r[4] == "WORSE"]
    if worse:
        print(f"{len(worse)} figure(s) worse by more than {args.tolerance:.0%}: {', '.join(worse)}")
        return 1
    print(f"no figure worse by more than {args.tolerance:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
