"""Integration tests run against a real Apache Kafka broker (deploy/local/kafka.sh).

- Every test in this folder gets the `integration` marker (deselect with `-m "not integration"`).
- `kafka_bootstrap` (session): makes sure the shared local broker runs and returns its bootstrap
  string.  A broker that was already running is left running; one this session started is
  stopped at the end, unless NEWS_ENRICHER_KEEP_BROKER is set (any non-empty value) or another
  test session still uses it (lease files in `<KAFKA_HOME_DIR>/sessions/`).
- `topic_prefix` (per test): a unique `t-<8 hex>` prefix; the test's `<prefix>.*` topics are
  deleted afterwards.
- `sasl_broker` (session, only for tests that ask): a second broker with its own ports and data
  dir and the SASL_PLAINTEXT listener on, stopped at the end.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from . import kafka_utils
from .kafka_utils import LocalBroker

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    # This hook sees the whole session's items: mark only the ones collected from this folder.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


def _shared_broker() -> LocalBroker:
    """The broker kafka.sh runs with the caller's environment (defaults: 19092/19093)."""
    home = Path(os.environ.get("KAFKA_HOME_DIR", kafka_utils.KAFKA_SH.parent / ".kafka"))
    return LocalBroker(
        home=home,
        port=int(os.environ.get("KAFKA_PORT", "19092")),
        controller_port=int(os.environ.get("KAFKA_CONTROLLER_PORT", "19093")),
        sasl=os.environ.get("KAFKA_SASL", "0") == "1",
        sasl_port=int(os.environ.get("KAFKA_SASL_PORT", "19094")),
        sasl_user=os.environ.get("KAFKA_SASL_USER", "enricher"),
        sasl_password=os.environ.get("KAFKA_SASL_PASSWORD", "enricher-secret"),
    )


def _other_sessions(leases: Path) -> list[int]:
    """Pids of other live test sessions that hold a lease on the shared broker."""
    alive = []
    for lease in leases.glob("*"):
        try:
            pid = int(lease.name)
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            lease.unlink(missing_ok=True)  # a session that died without cleaning up
            continue
        except PermissionError:
            pass  # alive, someone else's
        if pid != os.getpid():
            alive.append(pid)
    return alive


@pytest.fixture(scope="session")
def kafka_broker() -> LocalBroker:
    """The shared local broker, started if needed.  Several test sessions may share it (parallel
    runs): each takes a lease, and a session that started the broker stops it
    at its end only when no other session still holds one."""
    broker = _shared_broker()
    leases = broker.home / "sessions"
    leases.mkdir(parents=True, exist_ok=True)
    lease = leases / str(os.getpid())
    lease.touch()
    started_here = False
    if not broker.is_running():
        try:
            broker.start()
        except RuntimeError as exc:
            lease.unlink(missing_ok=True)
            pytest.fail(f"could not start the local Kafka broker: {exc}", pytrace=False)
        started_here = True
    yield broker
    lease.unlink(missing_ok=True)
    if started_here and not os.environ.get("NEWS_ENRICHER_KEEP_BROKER"):
        if not _other_sessions(leases):
            broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: LocalBroker) -> str:
    """Bootstrap servers of the running local broker, e.g. "127.0.0.1:19092"."""
    return kafka_broker.bootstrap


@pytest.fixture
def topic_prefix(kafka_bootstrap: str) -> str:
    """A unique topic-name prefix for one test; its `<prefix>.*` topics are deleted after it."""
    prefix = kafka_utils.unique_prefix()
    yield prefix
    kafka_utils.run(kafka_utils.delete_topics_with_prefix(kafka_bootstrap, prefix))


def _free_port_block(first: int, count: int = 3, tries: int = 20) -> int:
    """The first of `count` consecutive free loopback ports, searching upward from `first`."""
    for base in range(first, first + tries * 10, 10):
        free = True
        for port in range(base, base + count):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    free = False
                    break
        if free:
            return base
    raise RuntimeError(f"no {count} free consecutive ports from {first}")


@pytest.fixture(scope="session")
def sasl_broker(tmp_path_factory) -> LocalBroker:
    """A separate broker (own data dir, ports from 19192) with PLAINTEXT and SASL_PLAINTEXT
    (PLAIN, SCRAM-SHA-256/512; user enricher / enricher-secret).  Started on first use (~10 s),
    stopped at the end of the session."""
    base = _free_port_block(int(os.environ.get("NEWS_ENRICHER_TEST_BROKER_PORT", "19192")))
    broker = LocalBroker(
        home=tmp_path_factory.mktemp("kafka-sasl"),
        port=base,
        controller_port=base + 1,
        sasl=True,
        sasl_port=base + 2,
    )
    try:
        broker.start()
    except RuntimeError as exc:
        pytest.fail(f"could not start the SASL test broker: {exc}", pytrace=False)
    yield broker
    broker.stop()
