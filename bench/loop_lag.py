"""How long one article can block the worker's event loop, on the shared news corpus.

    bash deploy/local/kafka.sh start
    .venv/bin/python -m bench.loop_lag [--limit N] [--skip-broker] [--json OUT]

1. In process: the wall time of `ArticleHandler.handle()` (decode + enrich + serialize, the
   synchronous work the agent does per message) for every article: p50/p99/p99.9/max.  This
   is exactly how long one article keeps the event loop from running anything else.
2. Through the real broker: the articles go to fresh topics, one `news-enricher worker`
   consumes them, and the worker's own event-loop lag metric
   (`news_enricher_event_loop_lag_seconds`, a timer that measures how late it wakes up) is
   scraped from /metrics at the end: observations over 100 ms and the bucket holding p99.9.

Data: <repo>/../shared/data/news/ar_saudinewsnet_dev.jsonl.gz (override the directory with
NEWS_ENRICHER_DEV_DATA, as the other benchmarks do).
"""

from __future__ import annotations

import argparse
import gzip
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NEWS = "news/ar_saudinewsnet_dev.jsonl.gz"
BOUND_S = 0.100


def data_file() -> Path:
    base = os.environ.get("NEWS_ENRICHER_DEV_DATA")
    return Path(base or ROOT.parent / "shared" / "data") / NEWS


def load(limit: int | None) -> list[bytes] | None:
    path = data_file()
    if not path.exists():
        return None
    out = []
    with gzip.open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                out.append(line.strip())
            if limit and len(out) >= limit:
                break
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def in_process(articles: list[bytes]) -> dict:
    from service.model import InputPosition
    from service.settings import Settings
    from service.worker import ArticleHandler

    logging.disable(logging.WARNING)
    handler = ArticleHandler(Settings.from_env())
    for value in articles[:20]:  # warm-up: models load on first use
        handler.handle(value, None, [], InputPosition("bench", 0, 0))
    times, slowest = [], (0.0, None)
    for n, value in enumerate(articles):
        started = time.perf_counter()
        outcome = handler.handle(value, None, [("content-type", b"application/json")],
                                 InputPosition("bench", 0, n))
        took = time.perf_counter() - started
        times.append(took)
        if took > slowest[0]:
            slowest = (took, outcome.article_id or f"line {n + 1}")
    return {"articles": len(times), "p50_ms": pct(times, 50) * 1000, "p99_ms": pct(times, 99) * 1000,
            "p99_9_ms": pct(times, 99.9) * 1000, "max_ms": slowest[0] * 1000, "slowest": slowest[1],
            "over_100ms": sum(t > BOUND_S for t in times)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _histogram(metrics: str, name: str) -> tuple[list[tuple[float, float]], float]:
    buckets, count = [], 0.0
    for line in metrics.splitlines():
        if line.startswith(name + "_bucket"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
        elif line.startswith(name + "_count"):
            count = float(line.rsplit(" ", 1)[1])
    return sorted(buckets), count


def through_broker(articles: list[bytes], bootstrap: str) -> dict:
    from tests.integration import kafka_utils as ku

    prefix = f"lag-{uuid.uuid4().hex[:8]}"
    topics = {n: f"{prefix}.{n}" for n in ("raw", "enriched", "dlq", "mentions", "trending")}
    items = []
    for n, value in enumerate(articles):
        obj = orjson.loads(value)
        items.append((str(obj.get("id", n)).encode(), value, [("content-type", b"application/json")]))
    ku.run(ku.create_topics(bootstrap, {topics[n]: 4 for n in ("raw", "enriched", "dlq", "mentions")}))
    ku.run(ku.produce(bootstrap, topics["raw"], items))
    port = _free_port()
    env = dict(os.environ)
    env.update({f"NEWS_ENRICHER_{k.upper()}_TOPIC": v for k, v in topics.items()})
    env.update(NEWS_ENRICHER_BOOTSTRAP_SERVERS=bootstrap, NEWS_ENRICHER_CONSUMER_GROUP=prefix,
               NEWS_ENRICHER_TOPIC_PARTITIONS="4", NEWS_ENRICHER_HTTP_PORT=str(port),
               NEWS_ENRICHER_HTTP_HOST="127.0.0.1",
               NEWS_ENRICHER_DATA_DIR=tempfile.mkdtemp(prefix="loop-lag-"))
    log = open(Path(tempfile.gettempdir()) / f"{prefix}.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    try:
        while True:
            done = sum(sum(ku.run(ku.end_offsets(bootstrap, topics[n])).values()) for n in ("enriched", "dlq"))
            if done >= len(items):
                break
            if worker.poll() is not None or time.monotonic() - started > 900:
                raise SystemExit(f"worker stopped or too slow: {done} of {len(items)}; log {log.name}")
            time.sleep(1)
        elapsed = time.monotonic() - started
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        rss_kb = int(next(l for l in open(f"/proc/{worker.pid}/status") if l.startswith("VmRSS")).split()[1])
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        ku.run(ku.delete_topics_with_prefix(bootstrap, prefix))
    buckets, count = _histogram(metrics, "news_enricher_event_loop_lag_seconds")
    over = count - next((c for le, c in buckets if le >= BOUND_S), count)
    p999 = next((le for le, c in buckets if c >= 0.999 * count), float("inf"))
    return {"outputs": len(items), "seconds_incl_startup": round(elapsed, 1), "probes": int(count),
            "probes_over_100ms": int(over), "p99_9_bucket_le_s": p999, "worker_rss_mib": rss_kb // 1024,
            "buckets": buckets}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="use only the first N articles")
    parser.add_argument("--skip-broker", action="store_true", help="only the in-process measurement")
    parser.add_argument("--bootstrap", default=os.environ.get("NEWS_ENRICHER_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    articles = load(args.limit)
    if articles is None:
        print(f"loop_lag: the shared news corpus is not there ({data_file()}); nothing measured.\n"
              "Set NEWS_ENRICHER_DEV_DATA to the shared data directory.")
        return 0
    results = {"corpus": f"{data_file().name} ({len(articles)} articles)", "in_process": in_process(articles)}
    print("per-article blocking time (ArticleHandler.handle):",
          {k: (round(v, 2) if isinstance(v, float) else v) for k, v in results["in_process"].items()})
    if not args.skip_broker:
        results["worker"] = through_broker(articles, args.bootstrap)
        shown = {k: v for k, v in results["worker"].items() if k != "buckets"}
        print("worker event-loop lag metric during the run:", shown)
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
