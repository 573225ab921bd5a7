"""Where an article's end-to-end latency goes: per-article timestamps at a fixed offered rate.

    bash deploy/local/kafka.sh start
    .venv/bin/python -m bench.trace_latency --rate 90 [--duration 15] [--config trending_in_worker]
                                            [--json OUT] [--records OUT.jsonl]

Offers articles at `--rate` to one worker (after bench_e2e's warm-up), the same way
bench_e2e.offered_load does, and splits each article's produce -> read latency with the times
the enriched record carries (all clocks are this machine's):

    input      sent by the load generator -> `received_at` in the worker (input produce, broker,
               the worker's fetch, faust's dispatch, and waiting behind earlier articles)
    enrich     `received_at` -> `processed_at` (enrich() itself)
    handoff    `processed_at` -> the enriched record's timestamp (serialization, mention
               records, and whatever else runs before the send; the timestamp is the worker
               producer's clock when it takes the record, in whole milliseconds)
    output     the record's timestamp -> read by the load generator's consumer (linger, produce
               request, broker append, the consumer's fetch)

and prints percentiles of each segment, the segments of the slowest articles, and when (seconds
into the run) they happened, so periodic stalls show up.  `input_ack` (the load generator's
input produce acknowledged) is also recorded, and the CPU and run-queue wait (runnable, waiting
for a core) per article of each busy worker thread, from /proc/<pid>/task/*/schedstat.

`--traced FILE` runs bench.traced_worker and keeps its timeline; `--profile FILE` samples the
worker with py-spy (200 Hz, all threads) during the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import orjson

from bench.bench_e2e import (CONFIGS, WARMUP_ARTICLES, create_topics, delete_topics, enrichable, paced_load,
                             produce_all, start_config, stop_workers, topic_names, wait_outputs, with_ids)
from bench.bench_enrich import percentile
from bench.corpus import load_corpus
from bench.replay_worker import replay_env

SEGMENTS = ("input", "enrich", "handoff", "output", "total")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def traced_load(topic_in: str, topic_out: str, records, rate: float, duration: float) -> list[dict]:
    sent: dict[bytes, dict] = {}
    rows: list[dict] = []
    wall0: list[float] = []  # when the first article was sent: "t" is seconds into the load

    def on_send(i, key):
        now = time.time()
        if not wall0:
            wall0.append(now)
        row = sent[key] = {"i": i, "sent": now, "t": now - wall0[0]}
        return lambda f: row.__setitem__("input_acked", time.time())

    def read(batch) -> int:
        now = time.time()
        before = len(rows)
        for r in batch:
            row = sent.pop(r.key, None)
            if row is None:
                continue
            event = orjson.loads(r.value)
            row.update(read=now, record_ts=r.timestamp / 1000, received=_epoch(event["received_at"]),
                       processed=_epoch(event["processed_at"]), partition=r.partition,
                       offset=event["input"]["offset"],
                       entities=len(event.get("entities") or ()),
                       enrich_ms=sum(event["pipeline"]["timings_ms"].values()))
            rows.append(row)
        return len(rows) - before

    await paced_load(topic_in, topic_out, records, rate, duration, on_send, read)
    for row in rows:
        row["segments_ms"] = {
            "input": 1000 * (row["received"] - row["sent"]),
            "enrich": 1000 * (row["processed"] - row["received"]),
            "handoff": 1000 * (row["record_ts"] - row["processed"]),
            "output": 1000 * (row["read"] - row["record_ts"]),
            "total": 1000 * (row["read"] - row["sent"]),
        }
        if "input_acked" in row:
            row["segments_ms"]["input_ack"] = 1000 * (row["input_acked"] - row["sent"])
    return rows


def thread_stats(pid: int) -> dict:
    """{tid: (name, CPU ns, ns runnable but waiting for a core)} of a process's threads."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            run, wait, _ = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
        except OSError:
            continue
        out[tid] = (name, int(run), int(wait))
    return out


def thread_use(before: dict, after: dict, pid: int, articles: int) -> dict:
    """CPU and run-queue wait per article (ms) of the threads that used more than 1 % of a core."""
    out = {}
    for tid, (name, run, wait) in after.items():
        if tid not in before:
            continue
        cpu, waited = (run - before[tid][1]) / 1e6, (wait - before[tid][2]) / 1e6
        if cpu > 0 and cpu / max(articles, 1) > 0.05:
            label = "main" if int(tid) == pid else f"{name}-{tid}"
            out[label] = {"cpu_ms": round(cpu / articles, 2), "runqueue_wait_ms": round(waited / articles, 2)}
    return out


def summary(rows: list[dict]) -> dict:
    out = {}
    for seg in SEGMENTS + ("input_ack",):
        values = [r["segments_ms"][seg] for r in rows if seg in r["segments_ms"]]
        if values:
            out[seg] = {q: round(percentile(values, int(q[1:])), 1) for q in ("p50", "p95", "p99")}
            out[seg]["max"] = round(max(values), 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus")
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--config", choices=sorted(CONFIGS), default="trending_in_worker")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the worker (repeatable)")
    parser.add_argument("--traced", help="run bench.traced_worker instead, its timeline to this file")
    parser.add_argument("--replay", action="store_true",
                        help="run bench.replay_worker instead (with --traced: traced and replaying): the "
                             "worker without enrich(), the shell's own latency")
    parser.add_argument("--profile", help="py-spy samples of the worker during the load, collapsed stacks to this file "
                                          "(grouped as bench.profile_worker groups them)")
    parser.add_argument("--json")
    parser.add_argument("--records", help="every article's timestamps, one JSON line each")
    args = parser.parse_args()
    articles, corpus = load_corpus(args.corpus, args.limit)
    articles = enrichable(articles)
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "news-enricher-bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    topics = topic_names()
    asyncio.run(create_topics(topics))
    records = with_ids(articles, topics["run"])
    env = dict(e.split("=", 1) for e in args.env)
    if args.replay:
        env.update(replay_env(args.corpus, args.limit))
    if args.traced:
        env["NEWS_ENRICHER_TRACE_OUT"] = str(Path(args.traced).resolve())
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        module = "bench.traced_worker" if args.traced else "bench.replay_worker" if args.replay else "service.cli"
        procs = start_config(topics, 1, module, log_dir, args.config)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        asyncio.run(produce_all(topics["raw"], records[:WARMUP_ARTICLES]))
        asyncio.run(wait_outputs(topics["enriched"], WARMUP_ARTICLES, 300))
        pid = procs[0].pid
        before = thread_stats(pid)
        sampler = None
        if args.profile:
            from bench.profile_worker import py_spy

            sampler = subprocess.Popen([py_spy(), "record", "--pid", str(pid), "--format", "raw", "-o", args.profile,
                                        "--rate", "200", "--nonblocking", "--threads"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = asyncio.run(traced_load(topics["raw"], topics["enriched"], records[WARMUP_ARTICLES:],
                                       args.rate, args.duration))
        threads = thread_use(before, thread_stats(pid), pid, len(rows))
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)
            sampler.wait(timeout=60)
    finally:
        stop_workers(procs)
        delete_topics(topics)
    result = {"benchmark": "trace_latency", "corpus": corpus, "config": args.config, "env": args.env,
              "replay": args.replay,
              "offered_per_s": args.rate, "measured": len(rows), "load_average": os.getloadavg(),
              "segments_ms": summary(rows), "worker_threads_per_article": threads}
    print(f"{len(rows)} articles at {args.rate}/s ({args.config}, {args.env}), loadavg {os.getloadavg()}")
    for seg, q in result["segments_ms"].items():
        print(f"  {seg:10s} " + "  ".join(f"{k} {v:7.1f}" for k, v in q.items()))
    print(f"  worker threads, ms per article: {threads}")
    slow = sorted(rows, key=lambda r: r["segments_ms"]["total"], reverse=True)[:15]
    print("slowest (t = seconds into the load; ms per segment):")
    for r in sorted(slow, key=lambda r: r["t"]):
        s = r["segments_ms"]
        print(f"  t={r['t']:6.2f} p{r['partition']} " + " ".join(f"{k}={s[k]:6.1f}" for k in SEGMENTS)
              + f" ents={r['entities']} enrich_stages={r['enrich_ms']:.1f}")
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    if args.records:
        with open(args.records, "wb") as fh:
            for r in sorted(rows, key=lambda r: r["i"]):
                fh.write(orjson.dumps(r) + b"\n")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
