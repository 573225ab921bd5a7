"""End to end through the real local broker: capacity and latency, against a pass-through worker.

    bash deploy/local/kafka.sh start
    .venv/bin/python -m bench.bench_e2e [--corpus FILE] [--limit N] [--json OUT] [--only enrich_1,...]

For each configuration (pass-through baseline with one worker; the replay baseline, the worker with
enrich() replaced by a lookup of precomputed events, which measures the Kafka shell's own cost; the
enricher with one worker and trending in it, the default; with one worker and trending in a
separate `news-enricher trending` process on the same machine; with two workers in one group) it
produces N articles to fresh topics, starts the processes and measures the rate at which enriched
events appear (broker timestamps of the first and last output record, so start-up and group join
are excluded), and the CPU time per article of each process and of the local broker over the same
span. Then, for each enricher configuration (one worker, the trending process, two workers), it
offers articles at 50% and 90% of its measured capacity and reports end-to-end latency (produce ->
enriched record read by a consumer) percentiles and the largest worker's resident memory; the load
starts once the group is stable. Before all of it, `--warmup-runs` unmeasured runs warm the broker
up (a freshly started one costs about twice the CPU per record at first; after a broker start, run
the benchmark once and keep the second run). Last, enrichment alone on the same articles (rate and
CPU time), so the ratios compare figures of one run on one machine state. Every run's topics are
deleted when it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import huge_pages, interpreter
from bench.bench_enrich import percentile, run_pipeline
from bench.corpus import ROOT, load_corpus

BOOTSTRAP = os.environ.get("NEWS_ENRICHER_BOOTSTRAP_SERVERS", "127.0.0.1:19092")


def _broker_pid() -> int | None:
    """The local broker's pid (deploy/local/kafka.sh, in its KAFKA_HOME_DIR), to count its CPU
    time; None elsewhere."""
    home = os.environ.get("KAFKA_HOME_DIR") or ROOT / "deploy" / "local" / ".kafka"
    try:
        return int((Path(home) / "broker.pid").read_text().strip())
    except (OSError, ValueError):
        return None


BROKER_PID = _broker_pid()
PARTITIONS = 4
# Baseline workers, run whatever --only says: the pass-through (one record per article, the I/O
# ceiling) and the replay worker (the worker's records and code without enrich(): the shell's cost)
BASELINES = ("passthrough_1", "replay_1")


def with_ids(articles: list[bytes], prefix: str) -> list[tuple[bytes, bytes]]:
    out = []
    for i, value in enumerate(articles):
        obj = orjson.loads(value)
        obj["id"] = f"{prefix}-{i}"
        out.append((obj["id"].encode(), orjson.dumps(obj)))
    return out


def enrichable(articles: list[bytes]) -> list[bytes]:
    """Drop articles the decoder rejects (e.g. an empty body): they go to the dead-letter topic."""
    from service.decode import DecodeError, decode

    kept = []
    for value in articles:
        try:
            decode(value)
        except DecodeError:
            continue
        kept.append(value)
    return kept


def topic_names() -> dict:
    run = f"bench-{uuid.uuid4().hex[:8]}"
    return {"run": run, **{n: f"{run}.{n}" for n in ("raw", "enriched", "dlq", "mentions", "trending")}}


async def create_topics(topics: dict) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topics[n], PARTITIONS, 1) for n in ("raw", "enriched", "dlq", "mentions")])
    finally:
        await admin.close()


def delete_topics(topics: dict) -> None:
    """Delete every topic of a run: ours (`<run>.*`) and faust's changelogs (`<run>-*`).  Left
    behind, they pile up on the local broker: after ~1,600 of them a request for all topics'
    metadata took ~60-100 ms of client CPU, and the broker took ~40 s to start."""
    from tests.integration import kafka_utils as ku  # the tests' admin helpers, as loop_lag and soak use

    run = topics["run"]
    try:
        ku.run(ku.delete_topics(BOOTSTRAP, [t for t in ku.run(ku.list_topics(BOOTSTRAP))
                                            if t.startswith((run + ".", run + "-"))]))
    except Exception as exc:  # a benchmark's figures do not depend on the clean-up
        print(f"could not delete the topics of {run}: {exc!r}", file=sys.stderr)


def start_workers(topics: dict, count: int, module: str, log_dir: Path, extra_env: dict | None = None,
                  command: str = "worker") -> list[subprocess.Popen]:
    env = dict(os.environ)
    env.update({
        "NEWS_ENRICHER_BOOTSTRAP_SERVERS": BOOTSTRAP,
        "NEWS_ENRICHER_RAW_TOPIC": topics["raw"], "NEWS_ENRICHER_ENRICHED_TOPIC": topics["enriched"],
        "NEWS_ENRICHER_DLQ_TOPIC": topics["dlq"], "NEWS_ENRICHER_MENTIONS_TOPIC": topics["mentions"],
        "NEWS_ENRICHER_TRENDING_TOPIC": topics["trending"], "NEWS_ENRICHER_CONSUMER_GROUP": topics["run"],
        "NEWS_ENRICHER_TOPIC_PARTITIONS": str(PARTITIONS), "NEWS_ENRICHER_LOG_LEVEL": "warning",
        "NEWS_ENRICHER_HTTP_PORT": "0",
    })
    env.update(extra_env or {})
    procs = []
    for i in range(count):
        name = f"{topics['run']}-{command}-{i}"
        env_i = dict(env, NEWS_ENRICHER_DATA_DIR=str(log_dir / name))
        log = open(log_dir / f"{name}.log", "wb")
        cmd = [sys.executable, "-m", module] + ([command] if module == "service.cli" else [])
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env_i, stdout=log, stderr=subprocess.STDOUT))
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def produce_all(topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=5,
                                max_batch_size=1 << 20, max_request_size=8 << 20)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k) for k, v in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def wait_outputs(topic: str, want: int, timeout: float) -> list:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, group_id=None,
                                auto_offset_reset="earliest", fetch_max_bytes=64 << 20,
                                max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    seen: dict[bytes, object] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < want and time.monotonic() < deadline:
            for part in (await consumer.getmany(timeout_ms=500)).values():
                for r in part:
                    seen.setdefault(r.key, r)
    finally:
        await consumer.stop()
    return list(seen.values())


# Worker configurations: environment for the workers, and whether a separate
# `news-enricher trending` process runs beside them (on the same cores: its cost is counted).
CONFIGS = {
    "trending_in_worker": ({"NEWS_ENRICHER_TRENDING_IN_WORKER": "true"}, False),
    "trending_separate": ({"NEWS_ENRICHER_TRENDING_IN_WORKER": "false"}, True),
}


def start_config(topics: dict, workers: int, module: str, log_dir: Path, config: str | None) -> list:
    env, separate = CONFIGS[config] if config else ({}, False)
    procs = start_workers(topics, workers, module, log_dir, env)
    if separate:
        procs += start_workers(topics, 1, "service.cli", log_dir, env, command="trending")
    return procs


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def capacity_run(articles, workers: int, module: str, log_dir: Path, timeout: float,
                 config: str | None = None) -> dict:
    topics = topic_names()
    asyncio.run(create_topics(topics))
    records = with_ids(articles, topics["run"])
    asyncio.run(produce_all(topics["raw"], records))
    started = time.monotonic()
    procs = start_config(topics, workers, module, log_dir, config)
    peak_rss = []
    pids = {f"{i}:{p.args[-1]}": p.pid for i, p in enumerate(procs)} | ({"broker": BROKER_PID} if BROKER_PID else {})
    try:
        # CPU seconds of every process from the first enriched record to the last: with the
        # machine shared, CPU per article says what each part costs, wall time says how busy
        # the machine was.
        asyncio.run(wait_outputs(topics["enriched"], 1, timeout))
        cpu_start = {name: cpu_seconds(pid) for name, pid in pids.items()}
        outputs = asyncio.run(wait_outputs(topics["enriched"], len(records), timeout))
        cpu_end = {name: cpu_seconds(pid) for name, pid in pids.items()}
        peak_rss = [rss_mb(p.pid) for p in procs]
    finally:
        stop_workers(procs)
        delete_topics(topics)
    cpu_ms = {name: round(1000 * (cpu_end[name] - cpu_start[name]) / max(len(outputs) - 1, 1), 2)
              for name in pids if cpu_start.get(name) is not None and cpu_end.get(name) is not None}
    wall = time.monotonic() - started
    stamps = sorted(r.timestamp for r in outputs)
    span_s = max((stamps[-1] - stamps[0]) / 1000, 1e-3) if len(stamps) > 1 else float("nan")
    return {
        "workers": workers, "module": module, "articles": len(records), "outputs": len(outputs),
        "articles_per_s": round((len(outputs) - 1) / span_s, 1) if len(outputs) > 1 else 0.0,
        "wall_s_including_startup": round(wall, 2), "worker_rss_mb": peak_rss,
        "config": config, "cpu_ms_per_article": cpu_ms,
    }


async def paced_load(topic_in: str, topic_out: str, records, rate: float, duration: float, sent, read) -> None:
    """Send `records` at `rate` per second for `duration` seconds and read `topic_out` until every
    sent one came back (or 60 s more).  `sent(i, key)` runs right before each send and may return
    a callback for its acknowledgement; `read(batch)` gets each fetched batch of output records
    of a partition and returns how many of them were sent here."""
    count = min(len(records), int(rate * duration))
    consumer = AIOKafkaConsumer(topic_out, bootstrap_servers=BOOTSTRAP, group_id=None,
                                auto_offset_reset="latest", fetch_max_wait_ms=5)
    await consumer.start()
    await asyncio.sleep(1.0)  # let the consumer take its positions before anything is sent
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks=1, linger_ms=0)
    await producer.start()

    async def consume():
        got = 0
        while got < count:
            for part in (await consumer.getmany(timeout_ms=100)).values():
                got += read(part)

    reader = asyncio.create_task(consume())
    start = time.perf_counter()
    for i, (key, value) in enumerate(records[:count]):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        on_ack = sent(i, key)
        future = await producer.send(topic_in, value=value, key=key)
        if on_ack is not None:
            future.add_done_callback(on_ack)
    try:
        await asyncio.wait_for(reader, timeout=duration + 60)
    except asyncio.TimeoutError:
        pass
    await producer.stop()
    await consumer.stop()


async def offered_load(topic_in: str, topic_out: str, records, rate: float, duration: float) -> list[float]:
    """Send at `rate` per second and measure produce->consume latency of each enriched record."""
    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []

    def sent(i, key):
        sent_at[key] = time.perf_counter()

    def read(batch) -> int:
        now = time.perf_counter()
        before = len(latencies)
        for r in batch:
            if r.key in sent_at:
                latencies.append((now - sent_at.pop(r.key)) * 1000)
        return len(latencies) - before

    await paced_load(topic_in, topic_out, records, rate, duration, sent, read)
    return latencies


WARMUP_ARTICLES = 300


async def wait_group_stable(group: str, members: int, timeout: float) -> None:
    """Until consumer group `group` is Stable with `members` members: with two workers, the
    second's join rebalances the group, and a rebalance inside the measured load would be
    measured as latency."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            (response,) = await admin.describe_consumer_groups([group])
            state, joined = response.groups[0][2], len(response.groups[0][5])
            if state == "Stable" and joined == members:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"group {group}: {state} with {joined} members, want {members}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


def latency_run(articles, rate: float, duration: float, log_dir: Path, config: str | None = None,
                workers: int = 1) -> dict:
    topics = topic_names()
    asyncio.run(create_topics(topics))
    records = with_ids(articles, topics["run"])
    procs = start_config(topics, workers, "service.cli", log_dir, config)
    try:
        # Steady state, not start-up: a just-started worker's caches (the tagger's word types
        # above all) are cold, and with one warm-up article the first second of offered load
        # queued up to ~330 ms (the send->receive delays of one run, in time order); that
        # second was 8 % of the samples and made the whole p95/p99.  So WARMUP_ARTICLES go
        # through first, and the measured load uses the articles after them.
        asyncio.run(produce_all(topics["raw"], records[:WARMUP_ARTICLES]))
        asyncio.run(wait_outputs(topics["enriched"], WARMUP_ARTICLES, 300))
        asyncio.run(wait_group_stable(topics["run"], workers, 120))
        lat = asyncio.run(offered_load(topics["raw"], topics["enriched"], records[WARMUP_ARTICLES:], rate, duration))
        rss = max((rss_mb(p.pid) or 0.0 for p in procs[:workers]), default=None)  # the largest worker
    finally:
        stop_workers(procs)
        delete_topics(topics)
    return {"offered_per_s": round(rate, 1), "measured": len(lat),
            "latency_ms": {"p50": round(percentile(lat, 50), 2), "p95": round(percentile(lat, 95), 2),
                           "p99": round(percentile(lat, 99), 2), "max": round(max(lat), 2) if lat else None},
            "worker_rss_mb": rss, "workers": workers, "config": config}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus")
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of offered load per rate")
    parser.add_argument("--json")
    parser.add_argument("--only", help="comma-separated configurations to run besides the baselines "
                                       "passthrough_1 and replay_1 (enrich_1, enrich_1_trending_separate, enrich_2)")
    parser.add_argument("--warmup-runs", type=int, default=2,
                        help="unmeasured enrich_1 capacity runs first (default 2): after a start the "
                             "broker's CPU per article fell 2.74 -> 2.51 -> 1.27 ms over three such runs")
    args = parser.parse_args()
    articles, corpus = load_corpus(args.corpus, args.limit)
    articles = enrichable(articles)  # each input must yield one enriched event to count
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "news-enricher-bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "e2e", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "interpreter": interpreter(),
                          "huge_pages": huge_pages(), "cores": os.cpu_count()},
              "corpus": corpus, "partitions": PARTITIONS, "broker_warmup_runs": args.warmup_runs, "capacity": {}}
    for _ in range(args.warmup_runs):  # the same record mix as the measured runs; results dropped
        capacity_run(articles, 1, "service.cli", log_dir, timeout=600, config="trending_in_worker")
    from bench.replay_worker import replay_env  # here: it imports this module

    os.environ.update(replay_env(args.corpus, args.limit))  # for the replay worker's precomputed events
    runs = [("passthrough_1", 1, "bench.passthrough", None),
            ("replay_1", 1, "bench.replay_worker", "trending_in_worker"),
            ("enrich_1", 1, "service.cli", "trending_in_worker"),
            ("enrich_1_trending_separate", 1, "service.cli", "trending_separate"),
            ("enrich_2", 2, "service.cli", "trending_in_worker")]
    for name, workers, module, config in runs:
        if args.only and name not in args.only.split(",") and name not in BASELINES:
            continue
        result["capacity"][name] = capacity_run(articles, workers, module, log_dir, timeout=600, config=config)
        print(name, result["capacity"][name], flush=True)
    cap = result["capacity"]
    result["latency"] = {}
    for name, workers, _module, config in runs:
        if name in BASELINES or name not in cap:
            continue
        for share in (0.5, 0.9):
            key = f"{name}_{int(share * 100)}pct"
            result["latency"][key] = latency_run(articles, cap[name]["articles_per_s"] * share, args.duration,
                                                 log_dir, config, workers)
            print(key, result["latency"][key], flush=True)
    alone_run = run_pipeline(articles)  # enrichment alone, same run, same articles
    alone = alone_run["articles_per_s"]
    # Its CPU per article after the warm-up, as in bench_enrich (this process's CPU time around
    # the call also held the loading of the models, ~0.6 ms per article of the corpus).
    alone_cpu_ms = alone_run["cpu_ms"]["mean"]
    result["enrichment_alone_per_s"] = alone
    result["enrichment_alone_cpu_ms_per_article"] = round(alone_cpu_ms, 2)
    # The same comparison in CPU time, which the other load on a shared machine disturbs less:
    # what one worker would reach on a core of its own, relative to enrichment alone.
    result["cpu_ratios"] = {f"{name}_vs_enrichment_alone": round(alone_cpu_ms / run["cpu_ms_per_article"][worker], 3)
                            for name, run in cap.items() if name not in BASELINES and run["workers"] == 1
                            for worker in [next(iter(run["cpu_ms_per_article"]))]}
    # The shell's own cost: the replay worker does everything but enrich(), so a worker's CPU per
    # article is about enrichment alone's plus this (enrich() itself cost 17-27 % more inside a
    # worker than in bench_enrich's loop, in alternated runs), and its CPU ratio to enrichment
    # alone about alone / (alone + shell): a target ratio r leaves the shell alone * (1/r - 1).
    shell_ms = cap["replay_1"]["cpu_ms_per_article"].get("0:bench.replay_worker")
    if shell_ms is not None:
        result["shell_cpu_ms_per_article"] = shell_ms
        result["cpu_ratio_expected_from_shell"] = round(alone_cpu_ms / (alone_cpu_ms + shell_ms), 3)
    passthrough = max(cap["passthrough_1"]["articles_per_s"], 1e-9)
    result["ratios"] = {f"{name}_vs_enrichment_alone": round(cap[name]["articles_per_s"] / alone, 3)
                        for name in cap if name not in BASELINES}
    result["ratios"].update({f"{name}_vs_passthrough_1": round(cap[name]["articles_per_s"] / passthrough, 3)
                             for name in cap if name not in BASELINES})
    if "enrich_2" in cap and "enrich_1" in cap:
        result["ratios"]["enrich_2_vs_enrich_1"] = round(
            cap["enrich_2"]["articles_per_s"] / max(cap["enrich_1"]["articles_per_s"], 1e-9), 3)
    print(orjson.dumps(result["ratios"]).decode())
    print(orjson.dumps(result["cpu_ratios"]).decode())
    if "cpu_ratio_expected_from_shell" in result:
        print(f"shell: {result['shell_cpu_ms_per_article']} ms CPU per article without enrich(); CPU ratio expected "
              f"from it: {result['cpu_ratio_expected_from_shell']}; a 0.80 ratio would leave it "
              f"{alone_cpu_ms / 4:.2f} ms")
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
