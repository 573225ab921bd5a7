"""Soak run: a steady rate of articles through the real broker and one worker for a long time.

    bash deploy/local/kafka.sh start
    .venv/bin/python -m bench.soak [--minutes 20] [--rate 50] [--json OUT]

A producer offers `--rate` articles per second to fresh topics (the shared news corpus, cycled
with unique ids; a generated corpus when the shared data is absent). One `news-enricher worker`
enriches them, and a consumer reads the enriched topic. The report gives:

- throughput;
- end-to-end latency percentiles (from handing the article to the producer to reading its
  enriched record or dead letter);
- the worker's resident memory, sampled every 10 s, at the start (after a warm-up of 20
  articles), the middle and the end, plus the slope over the second half.

A flat memory slope is what "does not grow without bound" means in practice. Not part of the
test suite (it runs for minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loop_lag import load  # noqa: E402  (the same corpus loader and data location)


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def corpus() -> tuple[list[dict], str]:
    lines = load(None)
    if lines is None:
        from bench.corpus import generated_corpus

        return [orjson.loads(a) for a in generated_corpus(500)], "generated (shared corpus not found)"
    return [orjson.loads(a) for a in lines], "ar_saudinewsnet_dev (3,000 articles, cycled)"


async def run(args) -> dict:
    from tests.integration import kafka_utils as ku

    articles, described = corpus()
    prefix = f"soak-{uuid.uuid4().hex[:8]}"
    topics = {n: f"{prefix}.{n}" for n in ("raw", "enriched", "dlq", "mentions", "trending")}
    await ku.create_topics(args.bootstrap, {topics[n]: 4 for n in ("raw", "enriched", "dlq", "mentions")})
    env = dict(os.environ)
    env.update({f"NEWS_ENRICHER_{k.upper()}_TOPIC": v for k, v in topics.items()})
    env.update(NEWS_ENRICHER_BOOTSTRAP_SERVERS=args.bootstrap, NEWS_ENRICHER_CONSUMER_GROUP=prefix,
               NEWS_ENRICHER_TOPIC_PARTITIONS="4", NEWS_ENRICHER_HTTP_PORT="0",
               NEWS_ENRICHER_DATA_DIR=tempfile.mkdtemp(prefix="soak-"))
    log_path = Path(tempfile.gettempdir()) / f"{prefix}.log"
    log = open(log_path, "wb")
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, acks="all", enable_idempotence=True,
                                max_request_size=2 * 1024 * 1024)
    consumer = AIOKafkaConsumer(topics["enriched"], topics["dlq"], bootstrap_servers=args.bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    latencies: list[tuple[float, float]] = []  # (time read, latency)
    memory: list[tuple[float, float]] = []
    sent = 0
    sent_at: dict[str, float] = {}  # article id -> time handed to the producer
    duration = args.minutes * 60
    started = time.monotonic()
    stop = asyncio.Event()

    async def produce() -> None:
        nonlocal sent
        interval = 1.0 / args.rate
        next_at = time.monotonic()
        while time.monotonic() - started < duration:
            article = dict(articles[sent % len(articles)], id=f"{prefix}-{sent}")
            sent_at[article["id"]] = time.time()
            await producer.send(topics["raw"], orjson.dumps(article), key=article["id"].encode(),
                                headers=[("content-type", b"application/json")])
            sent += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await producer.flush()

    async def read() -> None:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500)
            now = time.time()
            for records in batch.values():
                for r in records:
                    at = sent_at.pop(r.key.decode(), None)
                    if at is not None:  # None: a duplicate
                        latencies.append((time.monotonic() - started, now - at))

    async def sample() -> None:
        while not stop.is_set():
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited ({worker.returncode}); log: {log_path}")
            memory.append((time.monotonic() - started, rss_mib(worker.pid)))
            await asyncio.sleep(10)

    # Warm-up: wait until the worker has joined its group and enriched a few articles, so the
    # figures describe the steady state, not start-up.
    for i in range(20):
        article = dict(articles[i % len(articles)], id=f"{prefix}-warm-{i}")
        await producer.send(topics["raw"], orjson.dumps(article), key=article["id"].encode())
    await producer.flush()
    warm, deadline = 0, time.monotonic() + 180
    while warm < 20:
        if time.monotonic() > deadline or worker.poll() is not None:
            raise SystemExit(f"the worker did not start; log: {log_path}")
        batch = await consumer.getmany(timeout_ms=500)
        warm += sum(len(records) for records in batch.values())
    started = time.monotonic()

    reader, sampler = asyncio.create_task(read()), asyncio.create_task(sample())
    try:
        await produce()
        deadline = time.monotonic() + 120
        while len(latencies) < sent and time.monotonic() < deadline:
            await asyncio.sleep(1)
    finally:
        stop.set()
        await asyncio.gather(reader, sampler, return_exceptions=True)
        await producer.stop()
        await consumer.stop()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        await ku.delete_topics_with_prefix(args.bootstrap, prefix)

    lat = [l for _, l in latencies]
    warm = [m for _, m in memory]
    half = [(t, m) for t, m in memory if t >= duration / 2]
    slope = 0.0
    if len(half) >= 2:  # least squares, MiB per minute
        mt = sum(t for t, _ in half) / len(half)
        mm = sum(m for _, m in half) / len(half)
        den = sum((t - mt) ** 2 for t, _ in half)
        slope = 60 * sum((t - mt) * (m - mm) for t, m in half) / den if den else 0.0
    return {
        "corpus": described, "minutes": args.minutes, "offered_rate": args.rate,
        "sent": sent, "enriched_read": len(latencies),
        "throughput_per_s": round(len(latencies) / max(1e-9, latencies[-1][0] if latencies else 1), 1),
        "latency_ms": {f"p{q}": round(pct(lat, q) * 1000, 1) for q in (50, 90, 99, 99.9)} | {"max": round(max(lat, default=0) * 1000, 1)},
        "rss_mib": {"start": round(warm[0], 1) if warm else None, "middle": round(warm[len(warm) // 2], 1) if warm else None,
                    "end": round(warm[-1], 1) if warm else None, "max": round(max(warm), 1) if warm else None},
        "rss_slope_second_half_mib_per_min": round(slope, 3),
        "worker_log": str(log_path),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=50.0, help="articles offered per second")
    parser.add_argument("--bootstrap", default=os.environ.get("NEWS_ENRICHER_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
