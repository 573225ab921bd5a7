"""SASL on the real broker: the worker authenticates with the right credentials (PLAIN and SCRAM)
and is refused with wrong ones; the password never appears in its log or its metrics.

Uses the `sasl_broker` fixture (a broker of its own with a SASL_PLAINTEXT listener; user
`enricher`, password `enricher-secret`, SCRAM-SHA-256/512 credentials created at format time).
"""

from __future__ import annotations

import time
import urllib.request

import orjson
import pytest

from . import kafka_utils as ku
from .test_reliability import PARTITIONS, Worker, topic_names, worker_env

ARTICLES = [
    (f"sec-{n}".encode(), orjson.dumps({"id": f"sec-{n}", "title": "Security check",
                                         "body": f"قال مسؤول في عمّان يوم الأحد إن الفحص رقم {n} انتهى."}),
     [("content-type", b"application/json")])
    for n in range(5)
]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sasl_env(broker, topics, tmp_path, mechanism: str, password: str, http_port: int) -> dict:
    return worker_env(
        broker.sasl_bootstrap, topics, tmp_path / f"data-{mechanism}-{password[:3]}",
        NEWS_ENRICHER_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        NEWS_ENRICHER_SASL_MECHANISM=mechanism,
        NEWS_ENRICHER_SASL_USERNAME=broker.sasl_user,
        NEWS_ENRICHER_SASL_PASSWORD=password,
        NEWS_ENRICHER_HTTP_PORT=str(http_port),
        NEWS_ENRICHER_HTTP_HOST="127.0.0.1",
        NEWS_ENRICHER_LOG_LEVEL="debug",  # the most verbose log must not leak it either
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_worker_authenticates_with_sasl(sasl_broker, tmp_path, mechanism):
    client = sasl_broker.sasl_client_config(mechanism)
    prefix = ku.unique_prefix()
    topics = topic_names(prefix)
    ku.run(ku.create_topics(sasl_broker.sasl_bootstrap,
                            {topics[n]: PARTITIONS for n in ("raw", "enriched", "dlq", "mentions")}, **client))
    ku.run(ku.produce(sasl_broker.sasl_bootstrap, topics["raw"], ARTICLES, **client))
    port = _free_port()
    worker = Worker(_sasl_env(sasl_broker, topics, tmp_path, mechanism, sasl_broker.sasl_password, port),
                    tmp_path / f"{mechanism}.log")
    try:
        records = ku.run(ku.consume_all(sasl_broker.sasl_bootstrap, topics["enriched"],
                                        n=len(ARTICLES), timeout=90, **client))
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    finally:
        code, _ = worker.stop()
        ku.run(ku.delete_topics_with_prefix(sasl_broker.sasl_bootstrap, prefix, **client))
    log = worker.log()
    assert sorted(r.key for r in records) == sorted(k for k, _, _ in ARTICLES), log[-3000:]
    assert code == 0, log[-3000:]
    assert sasl_broker.sasl_password not in log
    assert sasl_broker.sasl_password not in metrics
    assert "articles" in metrics  # the metrics endpoint answered with our metrics


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_worker_is_refused_with_a_wrong_password(sasl_broker, tmp_path, mechanism):
    prefix = ku.unique_prefix()
    topics = topic_names(prefix)
    wrong = "not-the-password-9f3b"
    worker = Worker(_sasl_env(sasl_broker, topics, tmp_path, mechanism, wrong, _free_port()),
                    tmp_path / f"{mechanism}-wrong.log")
    deadline = time.monotonic() + 60
    log = ""
    while time.monotonic() < deadline and worker.proc.poll() is None:
        log = worker.log()
        if "authentication failed" in log.lower():
            break
        time.sleep(0.5)
    code, _ = worker.stop(timeout=60)
    log = worker.log()
    assert "authentication failed" in log.lower(), f"no authentication failure reported\n{log[-3000:]}"
    assert wrong not in log, "the password must never be logged"
    # Nothing was created or consumed as this user: its topics do not exist on the broker.
    existing = ku.run(ku.list_topics(sasl_broker.sasl_bootstrap,
                                     **sasl_broker.sasl_client_config("SCRAM-SHA-512")))
    assert not [t for t in existing if t.startswith(prefix)]
