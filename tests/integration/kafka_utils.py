"""Small helpers for integration tests against the local broker (deploy/local/kafka.sh).

Import as `from tests.integration import kafka_utils` (or `from .kafka_utils import ...`).

Async helpers take the bootstrap string first; each opens and closes its own aiokafka client, so
a test can call them from any event loop.  `run()` drives one from sync code (fixtures).

    prefix = unique_prefix()                       # "t-1a2b3c4d": one per test, no collisions
    raw = f"{prefix}.articles.raw"
    await create_topics(bootstrap, {raw: 3})
    await produce(bootstrap, raw, [(b"k", b"v", [("content-type", b"text/plain")])])
    records = await consume_all(bootstrap, raw, n=1, timeout=10)
    await delete_topics_with_prefix(bootstrap, prefix)

`LocalBroker` starts/stops a broker through kafka.sh with its own ports and data dir (restart and
SASL tests), so they never disturb the shared broker on 19092.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError

REPO = Path(__file__).resolve().parents[2]
KAFKA_SH = REPO / "deploy" / "local" / "kafka.sh"

Headers = Sequence[tuple[str, bytes]]
# What `produce` takes: (key, value) or (key, value, headers); key/value bytes, str or None.
ProduceItem = tuple[Any, Any] | tuple[Any, Any, Headers]


def default_bootstrap() -> str:
    """The shared dev broker's bootstrap string (kafka.sh's defaults and KAFKA_PORT)."""
    return f"127.0.0.1:{os.environ.get('KAFKA_PORT', '19092')}"


def unique_prefix() -> str:
    """A topic-name prefix for one test: `t-<8 hex>`.  Topics are `<prefix>.articles.raw` etc."""
    return f"t-{uuid.uuid4().hex[:8]}"


def run(coro):
    """Run one helper coroutine from sync code (a fixture, a script)."""
    return asyncio.run(coro)


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed record in plain types, easy to compare in assertions."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp: int


def _bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"key/value must be bytes, str or None, not {type(value).__name__}")


# --- admin ------------------------------------------------------------------------------------


def _security(config: Mapping[str, Any]) -> dict[str, Any]:
    """The connection-security subset of a client config (what an admin client also needs)."""
    return {k: v for k, v in config.items() if k.startswith(("security_", "sasl_"))}


async def _admin(bootstrap: str, **client_config: Any) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=10_000, **_security(client_config)
    )
    await admin.start()
    return admin


async def create_topics(
    bootstrap: str,
    topics: Mapping[str, int] | Iterable[str],
    partitions: int = 1,
    config: Mapping[str, str] | None = None,
    timeout: float = 15.0,
    **client_config: Any,
) -> None:
    """Create topics ({name: partitions} or names with `partitions` each) and wait until every
    partition has a leader, so producing right after cannot hit UNKNOWN_TOPIC_OR_PARTITION.
    A topic that already exists is left as it is.  `client_config`: SASL settings, if any."""
    wanted = dict(topics) if isinstance(topics, Mapping) else {t: partitions for t in topics}
    admin = await _admin(bootstrap, **client_config)
    try:
        new = [
            NewTopic(name, n, 1, topic_configs=dict(config or {})) for name, n in wanted.items()
        ]
        try:
            await admin.create_topics(new, timeout_ms=int(timeout * 1000))
        except TopicAlreadyExistsError:
            pass
        deadline = time.monotonic() + timeout
        while True:
            described = await admin.describe_topics(list(wanted))
            ready = {
                d["topic"]
                for d in described
                if d["error_code"] == 0
                and len(d["partitions"]) == wanted[d["topic"]]
                and all(p["leader"] >= 0 for p in d["partitions"])
            }
            if ready == set(wanted):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics without leaders after {timeout} s: {set(wanted) - ready}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def list_topics(bootstrap: str, **client_config: Any) -> list[str]:
    admin = await _admin(bootstrap, **client_config)
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


async def delete_topics(
    bootstrap: str, topics: Iterable[str], timeout: float = 15.0, **client_config: Any
) -> None:
    """Delete topics; ones that do not exist are ignored."""
    names = list(topics)
    if not names:
        return
    admin = await _admin(bootstrap, **client_config)
    try:
        existing = set(await admin.list_topics())
        names = [t for t in names if t in existing]
        if names:
            try:
                await admin.delete_topics(names, timeout_ms=int(timeout * 1000))
            except UnknownTopicOrPartitionError:
                pass
    finally:
        await admin.close()


async def delete_topics_with_prefix(
    bootstrap: str, prefix: str, **client_config: Any
) -> list[str]:
    """Delete every topic named `<prefix>.*` (a test's topics); returns the names deleted."""
    names = [t for t in await list_topics(bootstrap, **client_config) if t.startswith(prefix + ".")]
    await delete_topics(bootstrap, names, **client_config)
    return names


# --- produce / consume ------------------------------------------------------------------------


async def produce(
    bootstrap: str,
    topic: str,
    items: Iterable[ProduceItem],
    partition: int | None = None,
    **producer_config: Any,
) -> list[Any]:
    """Send (key, value[, headers]) items in order and wait until all are acknowledged
    (acks=all, idempotent).  Returns aiokafka RecordMetadata per item (partition, offset).
    Extra keyword arguments go to AIOKafkaProducer (e.g. SASL settings)."""
    config = {"acks": "all", "enable_idempotence": True, "request_timeout_ms": 15_000}
    config.update(producer_config)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **config)
    await producer.start()
    try:
        futures = []
        for item in items:
            key, value = item[0], item[1]
            headers = [(k, _bytes(v)) for k, v in item[2]] if len(item) > 2 else None
            futures.append(
                await producer.send(
                    topic, _bytes(value), key=_bytes(key), headers=headers, partition=partition
                )
            )
        await producer.flush()
        return list(await asyncio.gather(*futures))
    finally:
        await producer.stop()


async def consume_all(
    bootstrap: str,
    topic: str,
    n: int | None = None,
    timeout: float = 10.0,
    **consumer_config: Any,
) -> list[Record]:
    """Read `topic` from the beginning of every partition without a consumer group (nothing is
    committed) until `n` records arrived or `timeout` seconds passed; with n=None, until the
    end offsets seen at the start are reached.  Records come in fetch order (ordered within each
    partition).  With n, the last fetched batch is kept whole, so more than n may come back:
    assert an exact count with n=None.  Extra keyword arguments go to AIOKafkaConsumer."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **consumer_config
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions = await partitions_of(bootstrap, topic, timeout, **consumer_config)
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps) if n is None else None
        records: list[Record] = []
        while True:
            if n is not None and len(records) >= n:
                break
            if end is not None and all([await consumer.position(tp) >= end[tp] for tp in tps]):
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            batch = await consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000))
            for msgs in batch.values():
                for m in msgs:
                    records.append(
                        Record(
                            m.topic, m.partition, m.offset, m.key, m.value,
                            tuple((k, bytes(v)) for k, v in (m.headers or ())), m.timestamp,
                        )
                    )
        return records
    finally:
        await consumer.stop()


async def partitions_of(
    bootstrap: str, topic: str, timeout: float = 10.0, **client_config: Any
) -> list[int]:
    """The partition numbers of an existing topic; waits up to `timeout` for it to appear."""
    admin = await _admin(bootstrap, **client_config)
    try:
        deadline = time.monotonic() + timeout
        while True:
            (described,) = await admin.describe_topics([topic])
            if described["error_code"] == 0 and described["partitions"]:
                return sorted(p["partition"] for p in described["partitions"])
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic!r} not found within {timeout} s")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, topic: str, **consumer_config: Any) -> dict[int, int]:
    """{partition: end offset} (the next offset to be written) of a topic."""
    partitions = await partitions_of(bootstrap, topic, **consumer_config)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **consumer_config)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        return {tp.partition: off for tp, off in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


# --- a broker of one's own --------------------------------------------------------------------


@dataclass
class LocalBroker:
    """A broker run through kafka.sh with its own ports and KAFKA_HOME_DIR (jars are shared).

    For tests that restart the broker or need the SASL listener without touching the shared one.
    """

    home: Path
    port: int
    controller_port: int
    sasl: bool = False
    sasl_port: int | None = None
    sasl_user: str = "enricher"
    sasl_password: str = "enricher-secret"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap(self) -> str:
        return f"127.0.0.1:{self.sasl_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            KAFKA_HOME_DIR=str(self.home),
            KAFKA_PORT=str(self.port),
            KAFKA_CONTROLLER_PORT=str(self.controller_port),
            KAFKA_SASL="1" if self.sasl else "0",
            KAFKA_SASL_USER=self.sasl_user,
            KAFKA_SASL_PASSWORD=self.sasl_password,
        )
        if self.sasl_port is not None:
            env["KAFKA_SASL_PORT"] = str(self.sasl_port)
        env.update(self.extra_env)
        return env

    def script(self, command: str, timeout: float = 180.0) -> subprocess.CompletedProcess:
        """Run `kafka.sh <command>`; output is captured (stdout + stderr together)."""
        return subprocess.run(
            ["bash", str(KAFKA_SH), command], env=self.env(), timeout=timeout,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
        )

    def start(self) -> None:
        result = self.script("start")
        if result.returncode != 0:
            raise RuntimeError(f"kafka.sh start failed ({result.returncode}):\n{result.stdout}")

    def stop(self) -> None:
        result = self.script("stop")
        if result.returncode != 0:
            raise RuntimeError(f"kafka.sh stop failed ({result.returncode}):\n{result.stdout}")

    def is_running(self) -> bool:
        return self.script("status", timeout=30).returncode == 0

    def sasl_client_config(self, mechanism: str = "SCRAM-SHA-512", password: str | None = None):
        """aiokafka keyword arguments for the SASL_PLAINTEXT listener."""
        return {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": mechanism,
            "sasl_plain_username": self.sasl_user,
            "sasl_plain_password": self.sasl_password if password is None else password,
        }
