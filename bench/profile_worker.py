"""Where a worker's time goes under load: py-spy samples of one worker, grouped by component.

    .venv/bin/pip install py-spy          # a development tool, not a dependency
    bash deploy/local/kafka.sh start
    .venv/bin/python -m bench.profile_worker [--config trending_in_worker|trending_separate]
                                             [--limit N] [--json OUT] [--raw OUT.txt]

Produces the corpus to fresh topics (as bench_e2e does), starts one worker, and from its first
enriched record to its last samples it with py-spy (`--format raw`: collapsed stacks) and
measures its CPU time.  Each sample is put in the first component (in the order of COMPONENTS)
that one of its frames belongs to.  py-spy counts a thread that is running *or waiting for a
core* as busy, so on a shared machine the shares are of busy wall time; `cpu_ms` shares the
measured CPU time per article out over the samples that were not waiting (WAITING), an estimate.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from bench.bench_e2e import (BROKER_PID, CONFIGS, cpu_seconds, create_topics, delete_topics, enrichable,
                             produce_all, start_config, stop_workers, topic_names, wait_outputs, with_ids)
from bench.corpus import load_corpus
from bench.replay_worker import replay_env

# (component, substrings of a frame "function (file:line)"); the first component that matches
# any frame of a sample gets the sample.
COMPONENTS = (
    ("debug logging", ("Logger.debug", "Logger._log ", "Logger.log (")),
    ("metrics", ("observe_enriched", "PublishSensor", "probe_event_loop", "SensorDelegate", "_observe_gc")),
    ("enrich()", ("enrich (service/pipeline.py",)),
    ("decode, serialize, mention records", ("ArticleHandler.handle", "mention_records")),
    ("trending table and flush", ("count_mentions", "flush_trending", "faust/tables/", "hangelog")),
    ("send path (faust Topic.send to the aiokafka accumulator)",
     ("create_app.<locals>.send", "Topic.send", "publish_message", "ProducerBuffer", "Producer.send")),
    ("producer I/O (produce requests, socket writes, responses)",
     ("Sender.", "producer/sender.py", "_SelectorSocketTransport.write")),
    ("delivery window and acks", ("DeliveryWindow", "settle_", "Stream.ack", "Consumer.ack", "GuardedConsumer")),
    ("consumer fetch and stream dispatch",
     ("Fetcher", "consumer/fetcher.py", "_drain_messages", "on_message", "Stream._c_aiter", "Stream.events")),
    ("offset commits", ("commit",)),
    ("connection reads", ("AIOKafkaConnection._read", "_read_ready")),
    ("event loop", ("EpollSelector.select", "_run_once")),
)


def cpu_split(pid: int) -> tuple[float, float] | None:
    """(user, system) CPU seconds of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


# Samples whose innermost frame is a socket write or the selector: the worker's system time is
# ~0.3 ms per article (measured), so a write is not where its CPU goes; py-spy sees the thread
# runnable there while it waits for a core, after the write woke the broker on the same machine.
# Under uvloop (the default event loop) the same waits show as Python leaves above its C code:
# the socket write (`StreamWriter.write`), and the loop of the main thread and of faust's consumer
# thread sitting in epoll (`Worker.execute_from_commandline`, `ServiceThread._start_thread`).
WAITING = ("_SelectorSocketTransport.write", "EpollSelector.select",
           "StreamWriter.write", "Worker.execute_from_commandline", "ServiceThread._start_thread")
WAITING_NAME = "waiting for a core or for I/O (socket write leaf, selector)"


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy (a development tool, not a dependency)")
    return found


def components(raw_path: Path) -> tuple[dict, int]:
    """{component: samples} and the total number of samples of a py-spy raw (collapsed) file."""
    counts: collections.Counter = collections.Counter()
    total = 0
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        leaf = stack.rsplit(";", 1)[-1]
        if leaf.startswith(WAITING):
            counts[WAITING_NAME] += int(n)
            continue
        for name, needles in COMPONENTS:
            if any(needle in stack for needle in needles):
                counts[name] += int(n)
                break
        else:
            counts["other"] += int(n)
    return dict(counts.most_common()), total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus")
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--config", choices=sorted(CONFIGS), default="trending_in_worker")
    parser.add_argument("--process", choices=("worker", "trending"), default="worker",
                        help="which process to sample: the worker, or (with --config trending_separate) "
                             "the `news-enricher trending` process beside it")
    parser.add_argument("--replay", action="store_true",
                        help="sample bench.replay_worker instead: the worker without enrich(), the shell alone")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--raw", help="keep py-spy's collapsed stacks here")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.process == "trending" and args.config != "trending_separate":
        parser.error("--process trending needs --config trending_separate")
    if args.replay:
        os.environ.update(replay_env(args.corpus, args.limit))
    spy = py_spy()
    articles, corpus = load_corpus(args.corpus, args.limit)
    articles = enrichable(articles)
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "news-enricher-bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    raw_path = Path(args.raw) if args.raw else log_dir / f"profile-{os.getpid()}.txt"
    topics = topic_names()
    asyncio.run(create_topics(topics))
    records = with_ids(articles, topics["run"])
    asyncio.run(produce_all(topics["raw"], records))
    procs = start_config(topics, 1, "bench.replay_worker" if args.replay else "service.cli", log_dir, args.config)
    worker = procs[-1].pid if args.process == "trending" else procs[0].pid
    try:
        asyncio.run(wait_outputs(topics["enriched"], 1, 300))  # the replay worker enriches all first
        cpu_start = {"worker": cpu_seconds(worker), "broker": cpu_seconds(BROKER_PID) if BROKER_PID else None}
        split_start = cpu_split(worker)
        started = time.monotonic()
        sampler = subprocess.Popen([spy, "record", "--pid", str(worker), "--format", "raw", "-o", str(raw_path),
                                    "--rate", str(args.rate), "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        outputs = asyncio.run(wait_outputs(topics["enriched"], len(records), 900))
        sampler.send_signal(signal.SIGINT)
        sampler.wait(timeout=60)
        wall = time.monotonic() - started
        cpu_end = {"worker": cpu_seconds(worker), "broker": cpu_seconds(BROKER_PID) if BROKER_PID else None}
        split_end = cpu_split(worker)
    finally:
        stop_workers(procs)
        delete_topics(topics)
    n = max(len(outputs) - 1, 1)
    cpu_ms = {k: round(1000 * (cpu_end[k] - cpu_start[k]) / n, 2) for k in cpu_start if cpu_start[k] is not None}
    cpu_ms["worker_user"] = round(1000 * (split_end[0] - split_start[0]) / n, 2)
    cpu_ms["worker_system"] = round(1000 * (split_end[1] - split_start[1]) / n, 2)
    counts, total = components(raw_path)
    result = {
        "benchmark": "profile_worker", "corpus": corpus, "config": args.config, "process": args.process,
        "replay": args.replay,
        "articles": len(outputs),
        "articles_per_s": round(len(outputs) / wall, 1), "cpu_ms_per_article": cpu_ms, "samples": total,
        # cpu_ms: the worker's CPU per article shared out over the samples that were not waiting.
        "components": {name: {"share": round(c / max(total, 1), 3),
                              "cpu_ms": None if name == WAITING_NAME else
                              round(cpu_ms["worker"] * c / max(total - counts.get(WAITING_NAME, 0), 1), 2)}
                       for name, c in counts.items()},
    }
    print(f"{len(outputs)} articles, {result['articles_per_s']}/s, CPU per article: {cpu_ms} ({total} samples)")
    for name, row in result["components"].items():
        cost = "" if row["cpu_ms"] is None else f"~{row['cpu_ms']:6.2f} ms"
        print(f"  {100 * row['share']:5.1f} %  {cost:>9}  {name}")
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
