"""The worker's HTTP endpoints: /metrics (Prometheus), /healthz (alive), /readyz (ready).

Alive unless the producer is stuck: records waited for the broker past STUCK_DELIVERY_S while
the broker answers metadata requests (`delivery_health`).

Nothing else is served (faust's own web server stays disabled).  Ready means all of:
- models loaded: a warm-up enrichment of one tiny built-in article per language succeeded
  (it loads every lazily cached model and gazetteer before the first real message);
- broker reachable: the last metadata request (for no topics: the broker list only), repeated
  every BROKER_CHECK_INTERVAL_S, answered;
- partitions assigned: the consumer group gave this worker partitions, or has no partition left
  for it (more workers than partitions is a valid, idle, ready state).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime, timezone

from aiohttp import web
from aiokafka.errors import KafkaConnectionError
from aiokafka.protocol.metadata import MetadataRequest
from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from .delivery import STUCK_DELIVERY_S
from .metrics import install_metrics

log = logging.getLogger(__name__)

BROKER_CHECK_INTERVAL_S = 10.0
BROKER_CHECK_TIMEOUT_S = 5.0
# Ready stays true this long after the last successful broker answer (a couple of checks).
BROKER_STALE_AFTER_S = 3 * BROKER_CHECK_INTERVAL_S

# One short article per language the models cover; invented text, no real article.
WARMUP_ARTICLES = (
    ("ar", "وصل وزير الخارجية إلى القاهرة يوم الأحد 12 أيار/مايو 2024 لإجراء محادثات."),
    ("fa", "وزیر امور خارجه روز یکشنبه ۲۳ اردیبهشت ۱۴۰۳ برای گفتگو به تهران رسید."),
    ("en", "The foreign minister arrived in Cairo on Sunday, May 12, 2024 for talks."),
)


def warm_up() -> None:
    """Enrich one tiny article per language: loads the models, proves the pipeline runs."""
    from .model import RawArticle
    from .pipeline import Context, enrich

    received = datetime(2024, 5, 12, 9, 0, tzinfo=timezone.utc)
    for lang, text in WARMUP_ARTICLES:
        enrich(RawArticle(body=text, language=lang, article_id=f"warmup-{lang}"), Context(received_at=received))


class Readiness:
    def __init__(self) -> None:
        self.models_loaded = False
        self.models_error: str | None = None
        self.broker_ok_at: float | None = None
        self.broker_error: str | None = None
        self.assignment_done = False  # a rebalance finished and has not been revoked since

    def broker_reachable(self) -> bool:
        return self.broker_ok_at is not None and time.monotonic() - self.broker_ok_at < BROKER_STALE_AFTER_S


def partitions_state(app, ready: Readiness) -> tuple[bool, int]:
    """(assigned-or-nothing-to-assign, number of assigned partitions)."""
    try:
        assigned = app.consumer.assignment()
    except Exception:  # consumer not started yet
        return False, 0
    # No partitions is fine once a rebalance finished: the group may have more members than
    # the topic has partitions (an idle standby worker is ready).
    return bool(assigned) or ready.assignment_done, len(assigned)


def delivery_health(window, broker_reachable: bool) -> tuple[dict, int]:
    """Alive unless records have waited for the broker past STUCK_DELIVERY_S while the broker
    answers: then the producer is stuck (seen once after a broker restart) and only a restart
    helps; the unacknowledged messages are read again after it (at-least-once)."""
    waited = window.oldest_pending_s() if window is not None else 0.0
    if broker_reachable and waited > STUCK_DELIVERY_S:
        return {"status": "stuck", "oldest_undelivered_seconds": round(waited, 1)}, 503
    return {"status": "ok"}, 200


def install_http(app, settings) -> None:
    install_metrics(app, settings)
    ready = Readiness()
    app.readiness = ready

    async def healthz(request: web.Request) -> web.Response:
        status, code = delivery_health(getattr(app, "delivery_window", None), ready.broker_reachable())
        return web.json_response(status, status=code)

    async def readyz(request: web.Request) -> web.Response:
        partitions_ok, count = partitions_state(app, ready)
        broker_ok = ready.broker_reachable()
        body = {
            "ready": bool(ready.models_loaded and broker_ok and partitions_ok),
            "models_loaded": ready.models_loaded,
            "broker_reachable": broker_ok,
            "partitions_assigned": count,
        }
        if ready.models_error:
            body["models_error"] = ready.models_error
        if ready.broker_error and not broker_ok:
            body["broker_error"] = ready.broker_error
        return web.json_response(body, status=200 if body["ready"] else 503)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.on_partitions_revoked.connect
    async def on_revoked(app_, *args, **kwargs) -> None:
        ready.assignment_done = False

    @app.on_partitions_assigned.connect
    async def on_assigned(app_, *args, **kwargs) -> None:
        ready.assignment_done = True

    server = HttpServer(settings, routes=[("/healthz", healthz), ("/readyz", readyz), ("/metrics", metrics)],
                        ready=ready, probe=lambda: probe_broker(app, ready))
    # A dependency of the app: started with it (before table recovery, so /healthz answers
    # early) and stopped with it.
    app.add_dependency(server)


class HttpServer(Service):
    """aiohttp on settings.http_host:http_port, serving only the given GET routes."""

    def __init__(self, settings, routes, ready: Readiness, probe, **kwargs) -> None:
        super().__init__(**kwargs)
        self.probe = probe
        self.settings = settings
        self.routes = routes
        self.ready = ready
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def on_start(self) -> None:
        web_app = web.Application()
        for path, handler in self.routes:
            web_app.router.add_get(path, handler)
        self.runner = web.AppRunner(web_app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        # With port 0 the OS picks one: log the bound address so callers can find it.
        bound = [a for a in self.runner.addresses if isinstance(a, tuple)]
        self.port = bound[0][1] if bound else None
        log.info("HTTP endpoints on %s (/metrics /healthz /readyz)",
                 ", ".join(f"{a[0]}:{a[1]}" for a in bound))
        # Load the models off the event loop so /healthz answers meanwhile.
        asyncio.get_running_loop().run_in_executor(None, _warm_up, self.ready)
        self.add_future(self._check_broker())

    async def _check_broker(self) -> None:
        # Every second until the broker first answers, then every BROKER_CHECK_INTERVAL_S.
        while not self.should_stop:
            await self.probe()
            await self.sleep(BROKER_CHECK_INTERVAL_S if self.ready.broker_ok_at else 1.0)

    async def on_stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


def _warm_up(ready: Readiness) -> None:
    started = time.perf_counter()
    try:
        warm_up()
    except Exception as exc:  # the worker still runs; /readyz says why it is not ready
        ready.models_error = f"{type(exc).__name__}: {exc}"
        log.exception("warm-up enrichment failed")
        return
    ready.models_loaded = True
    log.info("models loaded (warm-up %.2f s)", time.perf_counter() - started)


async def _ask_any_broker(client) -> None:
    """A metadata request for no topics to the known brokers in random order, until one answers
    (one broker down in a cluster is not the cluster down); raises the last error otherwise."""
    nodes = [broker.nodeId for broker in client.cluster.brokers()]
    random.shuffle(nodes)
    error: Exception = KafkaConnectionError("no broker known yet")
    for node in nodes:
        try:
            answer = await client.send(node, MetadataRequest(topics=[]))
        except Exception as exc:
            error = exc
            continue
        if answer.brokers:
            return
        error = KafkaConnectionError(f"broker {node} answered with no brokers")
    raise error


async def probe_broker(app, ready: Readiness) -> None:
    """One metadata request for no topics through the producer's client (it lives on this event
    loop).  The broker answers with its broker list alone, so the check costs the same on any
    cluster: a request for every topic's metadata held this loop for 55-100 ms of CPU on a
    broker with 1,600 topics, and every article waiting behind it was that much later."""
    producer = app.producer
    if not getattr(producer, "started", False):  # nothing to ask through yet
        return
    try:
        await asyncio.wait_for(_ask_any_broker(producer._ensure_producer().client), BROKER_CHECK_TIMEOUT_S)
    except Exception as exc:
        ready.broker_error = f"{type(exc).__name__}: {exc}"
        return
    ready.broker_ok_at = time.monotonic()
    ready.broker_error = None
