"""Benchmark the dates stage on real Arabic news, with dateparser's search_dates on the same texts.

Data: <repo>/../shared/data/news/ar_saudinewsnet_dev.jsonl.gz (or $NEWS_ENRICHER_DEV_DATA/news/...);
exits cleanly when absent.  Each article is decoded with `service.decode.article_from_mapping`
and prepared exactly as `enrich()` prepares it (build_doc, language, source stage); only the
dates stage is timed, one article at a time on one core.  dateparser runs on the first
--dateparser-n articles (it is ~100x slower) over the same title + text.

With --english the texts are instead the 1,841 English sentences of ../shared/data/ner/en_wikigold.jsonl
(tokens joined by spaces) joined 20 at a time (93 texts of ~2.2 KB), language `en`, published
2026-11-29 12:00 UTC: English has no news set, and its short words (`in`, `on`, numbers) cost more.

Usage: .venv/bin/python bench/bench_dates.py [--limit N] [--dateparser-n N] [--json out.json] [--english]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.dates import extract_dates  # noqa: E402
from service.decode import article_from_mapping  # noqa: E402
from service.document import build_doc  # noqa: E402
from service.pipeline import _language  # noqa: E402
from service.sources import extract_source  # noqa: E402


def data_file(english: bool = False) -> Path:
    base = Path(os.environ.get("NEWS_ENRICHER_DEV_DATA") or ROOT.parent / "shared" / "data")
    return base / "ner" / "en_wikigold.jsonl" if english else base / "news" / "ar_saudinewsnet_dev.jsonl.gz"


def english_rows(path: Path, per_text: int = 20) -> list[dict]:
    """WikiGold sentences joined `per_text` at a time, as article mappings in English."""
    with open(path, encoding="utf-8") as fh:
        sents = [" ".join(json.loads(line)["tokens"]) for line in fh if line.strip()]
    return [{"id": f"en-{i // per_text}", "title": "", "text": " ".join(sents[i:i + per_text]), "language": "en",
             "published_at": "2026-11-29T12:00:00Z"} for i in range(0, len(sents), per_text)]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="first N articles only")
    ap.add_argument("--dateparser-n", type=int, default=300, help="articles for the dateparser baseline (0 = skip)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="time each article this many times and keep the best (the machine may be shared)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--conventions", choices=("news", "recognizers"), default="news",
                    help="reading conventions of the dates stage (docs/dates.md)")
    ap.add_argument("--dump", help="write every mention (article id, text, span, value) as JSONL, to diff two versions")
    ap.add_argument("--english", action="store_true",
                    help="time English WikiGold sentences joined 20 at a time instead of Arabic news")
    args = ap.parse_args(argv)

    path = data_file(args.english)
    if not path.exists():
        print(f"bench_dates: data file not found: {path}\n(set NEWS_ENRICHER_DEV_DATA to the shared data dir)")
        return 0
    if args.english:
        rows = english_rows(path)
        args.dateparser_n = 0  # the baseline reads Arabic
    else:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
    if args.limit:
        rows = rows[: args.limit]

    received = datetime.now(timezone.utc)
    docs = []
    for row in rows:
        if not (row.get("text") or "").strip():
            continue
        raw = article_from_mapping(row)
        doc = build_doc(raw)
        doc.received_at = received
        _language(doc)
        extract_source(doc)
        docs.append((doc, (row.get("title") or "") + "\n" + (row.get("text") or ""), row.get("id")))

    clock = time.perf_counter
    ours_ms, cpu_ms, mentions, grans, flags = [], [], 0, Counter(), Counter()
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None
    for doc, _, art_id in docs:
        best = cpu = float("inf")
        for _ in range(args.repeat):
            t, c = clock(), time.thread_time()
            found = extract_dates(doc, conventions=args.conventions)
            cpu = min(cpu, time.thread_time() - c)
            best = min(best, clock() - t)
        ours_ms.append(best * 1000)
        cpu_ms.append(cpu * 1000)
        mentions += len(found)
        grans.update(m["granularity"] for m in found)
        flags.update(f for m in found for f in m["flags"])
        for m in found if dump else ():
            dump.write(json.dumps({"id": art_id, "text": m["text"], "span": m["span"], "field": m.get("field"),
                                   "value": m["value"], "granularity": m["granularity"],
                                   "flags": m["flags"]}, ensure_ascii=False) + "\n")
    if dump:
        dump.close()
    chars = [len(doc.norm) for doc, _, _ in docs]

    result = {
        "data": path.name, "conventions": args.conventions, "articles": len(docs), "median_chars": statistics.median(chars),
        "ours": {"median_ms": round(statistics.median(ours_ms), 4), "p95_ms": round(pct(ours_ms, 0.95), 4),
                 "mean_ms": round(statistics.fmean(ours_ms), 4), "max_ms": round(max(ours_ms), 3),
                 "cpu_median_ms": round(statistics.median(cpu_ms), 4), "cpu_p95_ms": round(pct(cpu_ms, 0.95), 4),
                 "repeat_best_of": args.repeat,
                 "mentions": mentions, "mentions_per_article": round(mentions / max(1, len(docs)), 2),
                 "granularity": dict(grans.most_common()), "flags": dict(flags.most_common())},
    }

    if args.dateparser_n:
        try:
            from dateparser.search import search_dates
        except ImportError:
            search_dates = None
            print("dateparser not installed (pip install '.[eval]'): baseline skipped")
        if search_dates:
            search_dates("warm up 12 November 2023", languages=["ar"])
            dp_ms, dp_found = [], 0
            subset = docs[: args.dateparser_n]
            for doc, text, _ in subset:  # one run each: it is slow enough that noise does not matter
                t = clock()
                try:
                    got = search_dates(text, languages=["ar"], settings={"RELATIVE_BASE": doc.published_at.replace(tzinfo=None)})
                except Exception:
                    got = None
                dp_ms.append((clock() - t) * 1000)
                dp_found += len(got or [])
            ours_subset = ours_ms[: len(subset)]
            result["dateparser"] = {"articles": len(subset), "median_ms": round(statistics.median(dp_ms), 3),
                                    "p95_ms": round(pct(dp_ms, 0.95), 3), "mentions": dp_found,
                                    "ours_median_ms_same_subset": round(statistics.median(ours_subset), 4),
                                    "ours_p95_ms_same_subset": round(pct(ours_subset, 0.95), 4)}

    print(f"{'system':12} {'articles':>8} {'median ms':>10} {'p95 ms':>10} {'mentions':>9}")
    o = result["ours"]
    print(f"{'ours':12} {len(docs):8d} {o['median_ms']:10.4f} {o['p95_ms']:10.4f} {o['mentions']:9d}")
    if "dateparser" in result:
        d = result["dateparser"]
        print(f"{'ours (subset)':12} {d['articles']:8d} {d['ours_median_ms_same_subset']:10.4f} {d['ours_p95_ms_same_subset']:10.4f}")
        print(f"{'dateparser':12} {d['articles']:8d} {d['median_ms']:10.3f} {d['p95_ms']:10.3f} {d['mentions']:9d}")
    print(f"ours CPU time: median {o['cpu_median_ms']:.4f} ms, p95 {o['cpu_p95_ms']:.4f} ms (best of {args.repeat})")
    print(f"median article: {result['median_chars']:.0f} normalized chars; granularity {o['granularity']}")
    print(f"flags {o['flags']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
