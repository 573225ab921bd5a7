"""Run the decoder and the source stage over the SaudiNewsNet development sample and report:
share of articles with a publisher resolved, with at least one attribution, with a dateline;
the 20 most frequent unresolved agency-like strings (to grow the registry); time per article.

    .venv/bin/python eval/eval_sources.py [--limit N] [--examples K]

Data: <repo>/../shared/data/news/ar_saudinewsnet_dev.jsonl.gz, or $NEWS_ENRICHER_DEV_DATA/news/...
Measurement only: nothing from the data is written anywhere.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from service.decode import DecodeError, decode  # noqa: E402
from service.document import build_doc  # noqa: E402
from service.sources import extract_source  # noqa: E402
from service.sources.dateline import _BYLINE_WORDS as BYLINE_WORDS  # noqa: E402
from service.sources.dateline import place_name  # noqa: E402
from service.sources.registry import PROCLITICS, REGISTRY  # noqa: E402
from service.text.language import identify  # noqa: E402
from service.text.normalize import normalize_key  # noqa: E402

FILE = "news/ar_saudinewsnet_dev.jsonl.gz"
# An outlet word followed by one or two words: "وكالة X", "صحيفة X Y", "خبرگزاري X".
_OUTLET_PHRASE = re.compile(
    r"(?<!\w)" + PROCLITICS + r"(?P<word>وكاله|صحيفه|جريده|قناه|مجله|خبرگزاري|روزنامه)"
    r"\s{1,3}(?P<name>[^\W\d][\w]{1,20}(?:\s{1,3}[^\W\d][\w]{1,20})?)"
)
_STOP_AFTER_OUTLET = {"الانباء", "انباء", "الانباء", "اخباريه", "محليه", "رسميه", "حكوميه", "عربيه", "امريكيه",
                      "بريطانيه", "فرنسيه", "تلفزيونيه", "فضائيه", "اليوم", "ان", "عن", "في", "التي", "الذي"}


def data_dir() -> Path | None:
    env = os.environ.get("NEWS_ENRICHER_DEV_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if (path / FILE).exists() else None


def unresolved_candidates(doc, source: dict) -> list[str]:
    """Agency-like strings the registry did not resolve."""
    out = []
    folded = doc.norm_folded
    for m in _OUTLET_PHRASE.finditer(folded):
        hit = REGISTRY.name_re.match(folded, m.start())
        if hit is not None and hit.end() > m.end("word") + 1:
            continue  # a registry name starts here ("وكالة الأنباء السعودية")
        words = m.group("name").split()
        if words[0] in _STOP_AFTER_OUTLET:
            continue
        rest = folded[m.end("name"):m.end("name") + 40]
        if REGISTRY.name_re.match(rest.lstrip()):
            continue
        out.append(m.group("word") + " " + " ".join(words[:2]))
    for author in doc.raw.authors:
        for seg in re.split(r"\s{0,3}[-–—:/|]\s{0,3}", author):
            seg = seg.strip(" «»\"'()")
            # one-word byline credits that are neither a place nor a registry name ("sky", "د ب ا")
            if (seg and len(seg.split()) == 1 and not place_name(seg) and REGISTRY.lookup_form(seg) is None
                    and normalize_key(seg) not in BYLINE_WORDS):
                out.append("byline:" + normalize_key(seg))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--examples", type=int, default=0, help="print K example datelines/attributions")
    args = ap.parse_args()
    base = data_dir()
    if base is None:
        print(f"data not found: set NEWS_ENRICHER_DEV_DATA or place shared/data next to the repo ({FILE})")
        return 0
    with gzip.open(base / FILE, "rb") as fh:
        lines = [line for line in fh if line.strip()]
    if args.limit:
        lines = lines[: args.limit]
    received = datetime(2015, 8, 31, tzinfo=timezone.utc)
    n = errors = 0
    publisher_ok = attr_any = attr_text = attr_external = dl_any = dl_text = dl_byline = dl_dated = 0
    from_metadata = with_place = 0
    timings = []  # wall clock per article
    cpu_timings = []  # CPU time of this process per article: less disturbed by other jobs
    unresolved: Counter = Counter()
    cue_kinds: Counter = Counter()
    agencies: Counter = Counter()
    examples = []
    for line in lines:
        t0 = time.perf_counter()
        c0 = time.process_time()
        try:
            raw = decode(line)
        except DecodeError as exc:
            errors += 1
            print("decode error:", exc.reason, exc, file=sys.stderr)
            continue
        doc = build_doc(raw)
        doc.received_at = received
        doc.language, doc.language_confidence = identify(doc.clean, raw.language)
        source = extract_source(doc)
        timings.append(time.perf_counter() - t0)
        cpu_timings.append(time.process_time() - c0)
        n += 1
        publisher_ok += bool(source["publisher"] and source["publisher"]["id"])
        attrs = source["attributions"]
        attr_any += bool(attrs)
        attr_text += any(a["from"] == "text" for a in attrs)
        attr_external += any(not a.get("self") for a in attrs)
        for a in attrs:
            agencies[a["agency_id"]] += 1
            cue_kinds[a["from"] + ":" + ("paren" if a["cue"] == "(…)" else "cue")] += 1
        dl = source["dateline"]
        dl_any += dl is not None
        dl_text += bool(dl and dl["from"] == "text")
        dl_byline += bool(dl and dl["from"] == "byline")
        dl_dated += bool(dl and dl.get("date"))
        with_place += bool(dl and dl["place"])
        from_metadata += doc.published_from == "metadata"
        unresolved.update(unresolved_candidates(doc, source))
        if args.examples and len(examples) < args.examples and (dl or attrs):
            examples.append((dl and (dl["from"], dl["text"], dl["place"], dl["agency_id"]),
                             [(a["agency_id"], a["cue"], a["text"][:60]) for a in attrs[:3]]))

    def pct(k: int) -> str:
        return f"{k:5d} / {n}  ({100.0 * k / max(n, 1):5.1f} %)"

    ms = [t * 1000 for t in timings]
    ms_sorted = sorted(ms)
    print(f"articles: {n}  decode errors: {errors}")
    print(f"publisher resolved to a registry id:   {pct(publisher_ok)}")
    print(f"published_at from metadata:            {pct(from_metadata)}")
    print(f">= 1 attribution (text or byline):      {pct(attr_any)}")
    print(f">= 1 attribution in the text:           {pct(attr_text)}")
    print(f">= 1 attribution not to the publisher:  {pct(attr_external)}")
    print(f"dateline (text or byline):              {pct(dl_any)}")
    print(f"  dateline in the text:                 {pct(dl_text)}")
    print(f"  dateline from the byline field:       {pct(dl_byline)}")
    print(f"  dateline with a place:                {pct(with_place)}")
    print(f"  dateline with a date:                 {pct(dl_dated)}")
    print("attribution kinds:", dict(cue_kinds.most_common()))
    print("most cited:", ", ".join(f"{k} {v}" for k, v in agencies.most_common(12)))
    print("20 most frequent unresolved agency-like strings:")
    for s, c in unresolved.most_common(20):
        print(f"  {c:4d}  {s}")
    if ms:
        cpu = sorted(t * 1000 for t in cpu_timings)
        print(f"time per article (decode + layers + language + source), wall: mean {statistics.mean(ms):.3f} ms, "
              f"p50 {ms_sorted[len(ms) // 2]:.3f} ms, p95 {ms_sorted[int(len(ms) * 0.95)]:.3f} ms, "
              f"max {ms_sorted[-1]:.3f} ms")
        print(f"                                                        CPU:  mean {statistics.mean(cpu):.3f} ms, "
              f"p50 {cpu[len(cpu) // 2]:.3f} ms, p95 {cpu[int(len(cpu) * 0.95)]:.3f} ms")
    for ex in examples:
        print("example:", ex)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
