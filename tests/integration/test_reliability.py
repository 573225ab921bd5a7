"""No loss on the real broker: the worker is killed, the broker restarts, the worker is told to
stop, a group member leaves.  Each scenario feeds a few thousand small articles (plus malformed
ones) to a `news-enricher worker` subprocess and reconciles the output topics against the input:

- every input id has at least one enriched event, every malformed message one dead letter;
- duplicates (allowed by at-least-once) carry the same key and the same content.

The scenarios run on a broker of their own (own data dir and ports, started once per module),
so restarting it never disturbs the shared development broker or other tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from . import kafka_utils as ku
from .kafka_utils import LocalBroker

ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 4
ARTICLES = int(os.environ.get("NEWS_ENRICHER_RELIABILITY_ARTICLES", "2000"))
# Articles enriched but not yet acknowledged by the broker: the most a crash can duplicate.
MAX_IN_FLIGHT = 100
STOP_BOUND_S = 30.0
# Where the workers' logs go besides the test's tmp dir (kept when a loop of runs fails): one
# subdirectory per scenario run.  Their log level: NEWS_ENRICHER_RELIABILITY_LOG_LEVEL.
LOG_DIR = os.environ.get("NEWS_ENRICHER_RELIABILITY_LOG_DIR")
LOG_LEVEL = os.environ.get("NEWS_ENRICHER_RELIABILITY_LOG_LEVEL", "info")

# Invented sentences (ar, fa, en); {n} makes every article distinct.
BODIES = {
    "ar": "قال مسؤول في وزارة النقل في عمّان يوم الثلاثاء إن أعمال الصيانة على الطريق رقم {n} "
          "ستنتهي قبل نهاية الشهر، وإن حركة الشاحنات ستعود إلى طبيعتها بعد ذلك.",
    "fa": "به گزارش خبرگزاری ایرنا، جلسه شماره {n} شورای شهر اصفهان روز دوشنبه با حضور "
          "نمایندگان وزارت نیرو درباره کمبود آب برگزار شد.",
    "en": "CAIRO (AP) - Egypt's transport ministry said on Wednesday that ferry line {n} across "
          "the Red Sea would resume service next month after repairs to the harbour in Safaga.",
}
MALFORMED = [
    b"\xff\xfe not utf-8 \xc3\x28",
    b'{"id": "broken", "body": "no end',
    b'["a", "list", "not", "an", "object"]',
    b'{"id": "typed", "body": 42}',
    b"   \n\t  ",
]


def articles(count: int) -> list[tuple[bytes, bytes, list]]:
    """JSON articles with an id and a publication time, so their enriched content is fully
    determined by the input (a re-send yields the same event up to processing timestamps)."""
    langs = list(BODIES)
    items = []
    for n in range(count):
        lang = langs[n % 3]
        article_id = f"rel-{n:05d}"
        value = orjson.dumps({"id": article_id, "title": f"Report {n}", "language": lang,
                              "published_at": "2026-11-24T09:30:00+00:00",
                              "body": BODIES[lang].format(n=n)})
        items.append((article_id.encode(), value, [("content-type", b"application/json")]))
    # Malformed messages spread through the stream: the worker must keep going after each.
    for i, bad in enumerate(MALFORMED):
        items.insert((i + 1) * count // (len(MALFORMED) + 1), (f"bad-{i}".encode(), bad, []))
    return items


# --- a broker of this module's own -----------------------------------------------------------


def _free_ports(first: int, count: int = 3) -> int:
    for base in range(first, first + 400, 10):
        in_use = False
        for port in range(base, base + count):
            with socket.socket() as s:
                in_use = in_use or s.connect_ex(("127.0.0.1", port)) == 0
        if not in_use:
            return base
    raise RuntimeError(f"no {count} free consecutive ports from {first}")


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory) -> LocalBroker:
    base = _free_ports(int(os.environ.get("NEWS_ENRICHER_RELIABILITY_BROKER_PORT", "19292")))
    broker = LocalBroker(home=tmp_path_factory.mktemp("kafka-reliability"), port=base,
                         controller_port=base + 1, sasl_port=base + 2)
    try:
        broker.start()
    except RuntimeError as exc:
        pytest.fail(f"could not start the reliability test broker: {exc}", pytrace=False)
    yield broker
    broker.stop()


# --- the worker as a subprocess ----------------------------------------------------------------


class Worker:
    """`python -m service.cli worker` with its output in a log file."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT,
                                     env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = STOP_BOUND_S) -> tuple[int, float]:
        """SIGTERM and wait; returns (exit code, seconds it took)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self._log.close()
        return code, time.monotonic() - started

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def worker_env(bootstrap: str, topics: dict, data_dir: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({
        "NEWS_ENRICHER_BOOTSTRAP_SERVERS": bootstrap,
        "NEWS_ENRICHER_RAW_TOPIC": topics["raw"],
        "NEWS_ENRICHER_ENRICHED_TOPIC": topics["enriched"],
        "NEWS_ENRICHER_DLQ_TOPIC": topics["dlq"],
        "NEWS_ENRICHER_MENTIONS_TOPIC": topics["mentions"],
        "NEWS_ENRICHER_TRENDING_TOPIC": topics["trending"],
        "NEWS_ENRICHER_CONSUMER_GROUP": topics["group"],
        "NEWS_ENRICHER_TOPIC_PARTITIONS": str(PARTITIONS),
        "NEWS_ENRICHER_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
        "NEWS_ENRICHER_DATA_DIR": str(data_dir),
        "NEWS_ENRICHER_HTTP_PORT": "0",
        "NEWS_ENRICHER_LOG_LEVEL": LOG_LEVEL,
    })
    env.update(extra)
    return env


def topic_names(prefix: str) -> dict:
    return {name: f"{prefix}.{name}" for name in ("raw", "enriched", "dlq", "mentions", "trending")} \
        | {"group": f"{prefix}.group"}


def setup_topics(bootstrap: str, topics: dict, items) -> None:
    ku.run(ku.create_topics(bootstrap, {topics[n]: PARTITIONS for n in ("raw", "enriched", "dlq", "mentions")}))
    ku.run(ku.produce(bootstrap, topics["raw"], items))


def output_count(bootstrap: str, topics: dict) -> int:
    async def count() -> int:
        total = 0
        for name in ("enriched", "dlq"):
            total += sum((await ku.end_offsets(bootstrap, topics[name])).values())
        return total
    try:
        return ku.run(count())
    except Exception:  # broker briefly away (restart scenario): no progress known
        return -1


def wait_for_outputs(bootstrap: str, topics: dict, at_least: int, timeout: float, workers=()) -> int:
    deadline = time.monotonic() + timeout
    while True:
        seen = output_count(bootstrap, topics)
        if seen >= at_least:
            return seen
        for w in workers:
            assert w.proc.poll() is None, f"worker exited with {w.proc.returncode}\n{w.log()[-3000:]}"
        assert time.monotonic() < deadline, f"only {seen} of {at_least} outputs after {timeout} s\n" + \
            "\n".join(w.log()[-3000:] for w in workers)
        time.sleep(0.25)


def wait_until_consumed(bootstrap: str, topics: dict, timeout: float, workers=()) -> None:
    """Until the group's committed offsets reach the raw topic's end: every input was handled
    and its outputs acknowledged.  (Output counts are no measure: they include duplicates.)"""
    end = ku.run(ku.end_offsets(bootstrap, topics["raw"]))
    deadline = time.monotonic() + timeout
    while True:
        try:
            done = committed(bootstrap, topics["group"], topics["raw"])
        except Exception:  # broker briefly away
            done = {}
        if all(done.get(p, -1) >= e for p, e in end.items()):
            return
        for w in workers:
            assert w.proc.poll() is None, f"worker exited with {w.proc.returncode}\n{w.log()[-3000:]}"
        assert time.monotonic() < deadline, f"committed {done} of {end} after {timeout} s\n" + \
            "\n".join(w.log()[-3000:] for w in workers)
        time.sleep(0.5)


def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    async def read() -> dict[int, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(group)
        finally:
            await admin.close()
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}
    return ku.run(read())


# --- reconciliation ----------------------------------------------------------------------------

# Fields that say when, not what: they differ between two processings of the same message.
_VOLATILE = ("received_at", "processed_at")


def _content(event: dict) -> dict:
    event = {k: v for k, v in event.items() if k not in _VOLATILE}
    event["pipeline"] = {k: v for k, v in event["pipeline"].items() if k != "timings_ms"}
    return event


def reconcile(bootstrap: str, topics: dict, items) -> dict:
    """Assert nothing was lost and duplicates are identical; returns counts for the report."""
    enriched = ku.run(ku.consume_all(bootstrap, topics["enriched"], n=None, timeout=60))
    dead = ku.run(ku.consume_all(bootstrap, topics["dlq"], n=None, timeout=30))
    good_ids = {k.decode() for k, v, h in items if not k.startswith(b"bad-")}
    bad_values = {v for k, v, h in items if k.startswith(b"bad-")}

    by_key: dict[str, list[dict]] = defaultdict(list)
    positions: dict[str, list] = defaultdict(list)
    for record in enriched:
        event = orjson.loads(record.value)
        assert record.key.decode() == event["article_id"], "output key must be the article_id"
        by_key[event["article_id"]].append(_content(event))
        positions[event["article_id"]].append((event["input"]["partition"], event["input"]["offset"]))
    missing = good_ids - set(by_key)
    assert not missing, f"{len(missing)} articles lost, e.g. {sorted(missing)[:5]}"
    assert set(by_key) == good_ids, f"unexpected ids: {sorted(set(by_key) - good_ids)[:5]}"
    duplicates = 0
    for key, versions in by_key.items():
        duplicates += len(versions) - 1
        for other in versions[1:]:
            assert other == versions[0], f"duplicate of {key} differs from the first copy"
    assert {r.value for r in dead} == bad_values, "every malformed message must be dead-lettered, untouched"
    dead_dupes = len(dead) - len(bad_values)
    return {"enriched": len(enriched), "unique": len(by_key), "duplicates": duplicates,
            "dead_letters": len(dead), "dead_letter_duplicates": dead_dupes,
            "duplicated_inputs": sorted(tuple(p) for p in positions.values() if len(p) > 1)[:20]}


def report(name: str, **figures) -> None:
    print(f"\n[reliability] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


# --- the scenarios -----------------------------------------------------------------------------


@pytest.fixture
def scenario(own_broker, tmp_path, request):
    prefix = ku.unique_prefix()
    log_dir = tmp_path
    if LOG_DIR:
        log_dir = Path(LOG_DIR) / f"{time.strftime('%Y%m%dT%H%M%S')}-{request.node.name}-{prefix}"
        log_dir.mkdir(parents=True, exist_ok=True)
    topics = topic_names(prefix)
    items = articles(ARTICLES)
    setup_topics(own_broker.bootstrap, topics, items)
    started: list[Worker] = []

    def start(name: str = "w1", **extra) -> Worker:
        env = worker_env(own_broker.bootstrap, topics, tmp_path / f"data-{name}", **extra)
        worker = Worker(env, log_dir / f"{name}.log")
        started.append(worker)
        return worker

    yield own_broker, topics, items, start
    for worker in started:
        if worker.proc.poll() is None:
            worker.kill()
    if own_broker.is_running():
        ku.run(ku.delete_topics_with_prefix(own_broker.bootstrap, prefix))


def test_sigkill_mid_stream_then_restart_loses_nothing(scenario):
    broker, topics, items, start = scenario
    first = start("w1")
    wait_for_outputs(broker.bootstrap, topics, len(items) // 4, timeout=90, workers=[first])
    first.kill()  # SIGKILL: no drain, no final commit
    second = start("w2")
    wait_until_consumed(broker.bootstrap, topics, timeout=120, workers=[second])
    code, took = second.stop()
    counts = reconcile(broker.bootstrap, topics, items)
    report("sigkill", **counts, stop_s=round(took, 1))
    assert code == 0, second.log()[-3000:]


def test_broker_stopped_and_restarted_mid_stream_loses_nothing(scenario):
    broker, topics, items, start = scenario
    worker = start("w1")
    wait_for_outputs(broker.bootstrap, topics, len(items) // 4, timeout=90, workers=[worker])
    broker.stop()
    time.sleep(3)
    assert worker.proc.poll() is None, f"worker died with the broker\n{worker.log()[-3000:]}"
    broker.start()
    wait_until_consumed(broker.bootstrap, topics, timeout=150, workers=[worker])
    code, took = worker.stop()
    counts = reconcile(broker.bootstrap, topics, items)
    report("broker restart", **counts, stop_s=round(took, 1))
    assert code == 0, worker.log()[-3000:]


def test_sigterm_drains_commits_and_restart_adds_no_duplicates(scenario):
    broker, topics, items, start = scenario
    first = start("w1")
    wait_for_outputs(broker.bootstrap, topics, len(items) // 4, timeout=90, workers=[first])
    code, took = first.stop()
    assert code == 0, f"exit code {code} after SIGTERM\n{first.log()[-3000:]}"
    assert took < STOP_BOUND_S
    # Everything published before the stop is committed: the group's offsets cover it.
    done = output_count(broker.bootstrap, topics)
    offsets = committed(broker.bootstrap, topics["group"], topics["raw"])
    assert sum(offsets.values()) > 0, "nothing committed on SIGTERM"
    second = start("w2")
    wait_until_consumed(broker.bootstrap, topics, timeout=120, workers=[second])
    before_stop = output_count(broker.bootstrap, topics)
    code2, _ = second.stop()
    counts = reconcile(broker.bootstrap, topics, items)
    counts["outputs_before_second_stop"] = before_stop
    report("sigterm", **counts, stop_s=round(took, 2), outputs_at_stop=done,
           committed_at_stop=offsets)
    # A drained stop commits what it published: a restart repeats at most what was in flight.
    assert counts["duplicates"] + counts["dead_letter_duplicates"] <= MAX_IN_FLIGHT, counts
    assert code2 == 0


def test_group_member_leaves_partitions_move_nothing_lost(scenario):
    broker, topics, items, start = scenario
    first = start("w1")
    second = start("w2")
    wait_for_outputs(broker.bootstrap, topics, len(items) // 4, timeout=120, workers=[first, second])
    code, took = second.stop()  # leaves the group: its partitions move to the first worker
    assert code == 0, second.log()[-3000:]
    wait_until_consumed(broker.bootstrap, topics, timeout=120, workers=[first])
    code1, _ = first.stop()
    counts = reconcile(broker.bootstrap, topics, items)
    report("member leaves", **counts, leave_stop_s=round(took, 2))
    assert code1 == 0, first.log()[-3000:]
