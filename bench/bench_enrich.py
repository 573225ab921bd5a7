"""Enrichment alone (no Kafka): throughput on one core, latency percentiles, per-stage time,
peak memory, start-up time; with dateparser's `search_dates` as a baseline in the same run.

    .venv/bin/python -m bench.bench_enrich [--corpus FILE.jsonl[.gz]] [--limit N] [--json OUT]

Wall-clock figures (articles/s, latency, per stage) and the CPU time per article of the
enriching thread (steadier than wall time when the machine is shared).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

import orjson

from bench import huge_pages, interpreter
from bench.corpus import ROOT, load_corpus

STAGES = ("normalize", "language", "source", "dates", "entities")
# The functions service.pipeline calls for each stage, timed again in CPU time of this thread
# (the event's timings are wall time, which on a shared machine includes other jobs' turns).
_STAGE_FUNCS = {"normalize": "build_doc", "language": "_language", "source": "extract_source",
                "dates": "extract_dates", "entities": "extract_entities"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def pin_to_one_core() -> int | None:
    """Pin this process to one CPU so 'articles per second on one core' means what it says."""
    try:
        cpu = sorted(os.sched_getaffinity(0))[-1]
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):
        return None


def startup_seconds() -> dict:
    """Fresh interpreter: time to import the pipeline and enrich a first article (models loaded)."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "from service.decode import decode; from service.pipeline import Context, enrich\n"
        "t1 = time.perf_counter()\n"
        "enrich(decode(b'{\"body\": \"\\u0642\\u0627\\u0644 \\u0627\\u0644\\u0648\\u0632\\u064a\\u0631 Reuters\"}'), Context.now())\n"
        "t2 = time.perf_counter(); print(t1 - t0, t2 - t0)\n"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    total = time.perf_counter() - start
    imported, ready = (float(x) for x in out.stdout.split())
    return {"import_s": round(imported, 3), "ready_s": round(ready, 3), "process_total_s": round(total, 3)}


def _cpu_timed_stages(pipeline_module) -> tuple[dict[str, float], callable]:
    """Wrap the stage functions of service.pipeline so each call adds its thread CPU time to a
    dict (stage -> seconds of the current article); returns the dict and an undo function."""
    spent: dict[str, float] = {}
    originals = {}
    cpu_clock = time.thread_time

    def timed(stage, func):
        def wrapper(*args, **kwargs):
            c0 = cpu_clock()
            try:
                return func(*args, **kwargs)
            finally:
                spent[stage] = spent.get(stage, 0.0) + cpu_clock() - c0
        return wrapper

    for stage, name in _STAGE_FUNCS.items():
        func = getattr(pipeline_module, name, None)
        if func is not None:
            originals[name] = func
            setattr(pipeline_module, name, timed(stage, func))

    def undo() -> None:
        for name, func in originals.items():
            setattr(pipeline_module, name, func)

    return spent, undo


def run_pipeline(articles: list[bytes]) -> dict:
    from service import pipeline
    from service.decode import decode
    from service.model import EnrichmentError
    from service.pipeline import Context, enrich

    for value in articles[:50]:  # warm caches the way a running worker has them
        try:
            enrich(decode(value), Context.now())
        except EnrichmentError:
            pass
    # As the worker does after its warm-up (cli.py): the loaded models leave the garbage
    # collector's reach, so a full collection does not walk them (100-400 ms, the old max).
    gc.freeze()
    latencies, cpu, stage_ms, failures = [], [], {s: [] for s in STAGES}, 0
    stage_cpu_ms: dict[str, list[float]] = {s: [] for s in STAGES}
    spent, undo = _cpu_timed_stages(pipeline)
    entity_count = date_count = 0
    clock = time.perf_counter
    # CPU time of this thread: on a VM shared with other jobs wall time includes the time the
    # core ran someone else; CPU time does not, so it compares runs made minutes apart better.
    cpu_clock = time.thread_time
    started, cpu_started = clock(), cpu_clock()
    for value in articles:
        spent.clear()
        t0, c0 = clock(), cpu_clock()
        try:
            event = enrich(decode(value), Context.now())
        except EnrichmentError:
            failures += 1
            continue
        latencies.append((clock() - t0) * 1000)
        cpu.append((cpu_clock() - c0) * 1000)
        for stage in STAGES:
            stage_ms[stage].append(event["pipeline"]["timings_ms"].get(stage, 0.0))
            stage_cpu_ms[stage].append(spent.get(stage, 0.0) * 1000)
        entity_count += len(event["entities"])
        date_count += len(event["dates"])
    elapsed = clock() - started
    cpu_elapsed = cpu_clock() - cpu_started
    undo()
    done = len(latencies)
    return {
        "articles": len(articles),
        "enriched": done,
        "failed": failures,
        "elapsed_s": round(elapsed, 3),
        "articles_per_s": round(len(articles) / elapsed, 1),
        "latency_ms": {
            "mean": round(statistics.fmean(latencies), 3),
            "p50": round(percentile(latencies, 50), 3),
            "p95": round(percentile(latencies, 95), 3),
            "p99": round(percentile(latencies, 99), 3),
            "max": round(max(latencies), 3),
        },
        "cpu_s": round(cpu_elapsed, 3),
        "articles_per_cpu_s": round(len(articles) / cpu_elapsed, 1),
        "cpu_ms": {"mean": round(statistics.fmean(cpu), 3), "p50": round(percentile(cpu, 50), 3),
                   "p95": round(percentile(cpu, 95), 3)},
        "stage_ms": {
            stage: {"mean": round(statistics.fmean(v), 4), "p50": round(percentile(v, 50), 4),
                    "p95": round(percentile(v, 95), 4), "share": 0.0}
            for stage, v in stage_ms.items()
        },
        # the same stages in CPU time of the enriching thread (steadier on a shared machine)
        "stage_cpu_ms": {
            stage: {"mean": round(statistics.fmean(v), 4), "p50": round(percentile(v, 50), 4),
                    "p95": round(percentile(v, 95), 4)}
            for stage, v in stage_cpu_ms.items()
        },
        "entities_per_article": round(entity_count / max(done, 1), 2),
        "dates_per_article": round(date_count / max(done, 1), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


# dateparser's side of the baseline, in its own process: it reads blocks of texts (one JSON list
# per line) and answers each with its time on them, so the two can take turns (see `interleaved`).
DATEPARSER_CODE = r"""
import sys, time, orjson, resource, warnings
warnings.filterwarnings("ignore")
from dateparser.search import search_dates
search_dates("warm up 12 November 2023", languages=["ar", "en"])
for line in sys.stdin.buffer:
    texts = orjson.loads(line)
    found, lat = 0, []
    w0, c0 = time.perf_counter(), time.process_time()
    for text in texts:
        a = time.perf_counter()
        found += len(search_dates(text, languages=["ar", "fa", "en"]) or [])
        lat.append((time.perf_counter() - a) * 1000)
    print(orjson.dumps({"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0, "found": found,
                        "lat": lat, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}).decode(),
          flush=True)
"""
BLOCK = 50  # articles per turn: each side's turn takes ~0.1 s (ours) and ~1 s (dateparser)


def interleaved(articles: list[bytes], cpu: int | None) -> tuple[dict, dict]:
    """Our enrichment and dateparser's search_dates over the same articles, taking turns block by
    block on the same core (the order swapped every block): on a machine whose speed drifts by
    tens of percent within minutes, both see the same drift, so their ratio holds.  Returns
    (dateparser's figures, the ratios)."""
    from service.decode import decode
    from service.model import EnrichmentError
    from service.pipeline import Context, enrich

    texts = []
    for value in articles:
        obj = orjson.loads(value)
        texts.append("\n".join(filter(None, [obj.get("title"), obj.get("text") or obj.get("body")])))
    cmd = [sys.executable, "-c", DATEPARSER_CODE]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)

    def dateparser_turn(block: list[str]) -> dict:
        proc.stdin.write(orjson.dumps(block) + b"\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(proc.stderr.read().decode()[-500:])
        return orjson.loads(line)

    def our_turn(block: list[bytes]) -> tuple[float, float]:
        w0, c0 = time.perf_counter(), time.thread_time()
        for value in block:
            try:
                enrich(decode(value), Context.now())
            except EnrichmentError:
                pass
        return time.perf_counter() - w0, time.thread_time() - c0

    try:
        dateparser_turn(texts[:5])  # its first texts load its language data: not timed
        ours_wall = ours_cpu = dp_wall = dp_cpu = 0.0
        dp_lat, found, block_ratios, rss = [], 0, [], 0.0
        for k, i in enumerate(range(0, len(articles), BLOCK)):
            if k % 2 == 0:
                wall, cpu_s = our_turn(articles[i:i + BLOCK])
                dp = dateparser_turn(texts[i:i + BLOCK])
            else:
                dp = dateparser_turn(texts[i:i + BLOCK])
                wall, cpu_s = our_turn(articles[i:i + BLOCK])
            ours_wall, ours_cpu = ours_wall + wall, ours_cpu + cpu_s
            dp_wall, dp_cpu = dp_wall + dp["wall_s"], dp_cpu + dp["cpu_s"]
            dp_lat += dp["lat"]
            found += dp["found"]
            rss = dp["peak_rss_mb"]
            block_ratios.append(dp["cpu_s"] / max(cpu_s, 1e-9))
    except (RuntimeError, BrokenPipeError) as exc:
        return {"error": str(exc)}, {}
    finally:
        proc.stdin.close()
        proc.wait()
    n = len(articles)
    dp_lat.sort()
    quartiles = statistics.quantiles(block_ratios, n=4) if len(block_ratios) > 1 else block_ratios * 3
    figures = {"articles": n, "elapsed_s": round(dp_wall, 3), "articles_per_s": round(n / dp_wall, 1),
               "cpu_s": round(dp_cpu, 3), "p50_ms": round(dp_lat[len(dp_lat) // 2], 3), "dates_found": found,
               "peak_rss_mb": round(rss, 1), "ours_articles_per_s": round(n / ours_wall, 1),
               "ours_cpu_s": round(ours_cpu, 3)}
    ratios = {"pipeline_vs_dateparser_throughput": round(dp_wall / ours_wall, 2),
              "pipeline_vs_dateparser_cpu": round(dp_cpu / ours_cpu, 2),
              "block_cpu_ratio_p25": round(quartiles[0], 2), "block_cpu_ratio_p50": round(quartiles[1], 2),
              "block_cpu_ratio_p75": round(quartiles[2], 2)}
    return figures, ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="JSONL (or .jsonl.gz) of articles; default: the shared news sample")
    parser.add_argument("--limit", type=int, help="use only the first N articles")
    parser.add_argument("--baseline-limit", type=int, default=1000,
                        help="articles given to dateparser (it is slow; default 1000)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the dateparser baseline")
    parser.add_argument("--json", help="write the results as JSON to this file")
    args = parser.parse_args()

    articles, corpus = load_corpus(args.corpus, args.limit)
    cpu = pin_to_one_core()
    from service.entities import tagger

    result = {
        "benchmark": "enrich",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "interpreter": interpreter(), "huge_pages": huge_pages(),
                    "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(), "pinned_cpu": cpu,
                    # the native tagger in use (else the Python one, with numba-compiled loops
                    # or their numpy versions: the same output)
                    "tagger_native": tagger._native is not None,
                    "tagger_jit": tagger._native is None and tagger.compiled_loops()[0] is not None},
        "corpus": corpus,
        "startup": startup_seconds(),
        "pipeline": run_pipeline(articles),
    }
    stages = result["pipeline"]["stage_ms"]
    total = sum(s["mean"] for s in stages.values()) or 1.0
    for s in stages.values():
        s["share"] = round(s["mean"] / total, 3)
    if not args.no_baseline:
        subset = articles[: args.baseline_limit]
        ours_subset = run_pipeline(subset)  # the dates stage's own time on the same articles
        dp, ratios = interleaved(subset, cpu)
        result["baseline_dateparser"] = dp
        if ratios:
            result["ratios"] = ratios | {
                "dates_stage_vs_dateparser_p50": round(dp["p50_ms"] / max(ours_subset["stage_ms"]["dates"]["p50"], 1e-6), 1),
                "subset_articles": len(subset),
            }
    print_report(result)
    if args.json:
        with open(args.json, "wb") as fh:
            fh.write(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0


def print_report(r: dict) -> None:
    p = r["pipeline"]
    print(f"corpus: {r['corpus']}   cpu pinned: {r['machine']['pinned_cpu']}   "
          f"tagger: {'native' if r['machine'].get('tagger_native') else 'Python'}"
          f"{' (numba loops)' if r['machine']['tagger_jit'] else ''}")
    print(f"start-up: import {r['startup']['import_s']} s, ready (first article) {r['startup']['ready_s']} s")
    print(f"full enrichment: {p['articles_per_s']} articles/s on one core "
          f"({p['enriched']} enriched, {p['failed']} failed) in {p['elapsed_s']} s")
    lat = p["latency_ms"]
    print(f"latency ms: mean {lat['mean']}  p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
    c = p["cpu_ms"]
    print(f"CPU time: {p['articles_per_cpu_s']} articles per CPU second; per article mean {c['mean']}  "
          f"p50 {c['p50']}  p95 {c['p95']} ms")
    print("stage        mean ms   p50 ms   p95 ms   share   CPU: mean ms   p50 ms   p95 ms")
    for stage, s in p["stage_ms"].items():
        c = p.get("stage_cpu_ms", {}).get(stage, {})
        print(f"{stage:<12} {s['mean']:>7.3f}  {s['p50']:>7.3f}  {s['p95']:>7.3f}   {s['share']:.0%}"
              f"   {c.get('mean', float('nan')):>11.3f}  {c.get('p50', float('nan')):>7.3f}  "
              f"{c.get('p95', float('nan')):>7.3f}")
    print(f"entities/article {p['entities_per_article']}, dates/article {p['dates_per_article']}, "
          f"peak RSS {p['peak_rss_mb']} MB")
    if "baseline_dateparser" in r:
        dp = r["baseline_dateparser"]
        if "error" in dp:
            print("dateparser baseline failed:", dp["error"])
        else:
            q = r["ratios"]
            print(f"dateparser.search_dates: {dp['articles_per_s']:.1f} articles/s (ours {dp['ours_articles_per_s']:.1f} "
                  f"in the same turns), p50 {dp['p50_ms']:.2f} ms on {dp['articles']} articles, taking turns every "
                  f"{BLOCK} articles")
            print(f"ratio ours/dateparser: {q['pipeline_vs_dateparser_throughput']}x wall, "
                  f"{q['pipeline_vs_dateparser_cpu']}x CPU (per block, CPU: p25 {q['block_cpu_ratio_p25']}x, "
                  f"median {q['block_cpu_ratio_p50']}x, p75 {q['block_cpu_ratio_p75']}x)")


if __name__ == "__main__":
    sys.exit(main())
