"""The faust worker: wiring only.  articles.raw -> enrich() -> articles.enriched | articles.dlq

Delivery: at-least-once.  The agent reads without auto-acknowledgement; a message is acked
(and so its offset becomes committable) only after every record it produced has been
acknowledged by the broker.  Up to `max_in_flight` messages may be outstanding, which keeps
the producer busy without unbounded buffering.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from .http import install_http
from .model import InputPosition
from .settings import Settings
from .trending import install_trending
from .worker import ArticleHandler, OutRecord

log = logging.getLogger("news_enricher")


class IdempotentProducer(faust_aiokafka.Producer):
    """faust enables idempotence only for exactly-once; we want it for at-least-once too, so
    broker-side retries never write a record twice."""

    def _settings_extra(self):
        return {"acks": "all", "enable_idempotence": True}


class Transport(faust_aiokafka.Transport):
    Producer = IdempotentProducer


class EnricherApp(faust.App):
    def _new_transport(self):
        return Transport(self.conf.broker_consumer, self)


def broker_credentials(settings: Settings):
    protocol = settings.security_protocol
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=settings.ssl_cafile)
        if settings.ssl_certfile:
            context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile, settings.ssl_key_password)
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password,
            mechanism=settings.sasl_mechanism or "PLAIN",
            ssl_context=context,
        )
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    if protocol != "PLAINTEXT":
        raise SystemExit(f"unsupported security protocol {protocol!r}")
    return None


def create_app(settings: Settings | None = None) -> faust.App:
    settings = settings or Settings.from_env()
    app = EnricherApp(
        settings.consumer_group,
        broker=[f"kafka://{server.strip()}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=broker_credentials(settings),
        broker_client_id=settings.client_id,
        broker_commit_interval=settings.commit_interval_s,
        consumer_group_instance_id=settings.group_instance_id,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_disable_leader=True,
        producer_max_request_size=settings.max_output_bytes,
        producer_acks=-1,
        consumer_max_fetch_size=max(settings.max_message_bytes, 1024 * 1024),
        web_enabled=False,
        datadir=settings.data_dir,
        logging_config=None,
    )
    app.enricher_settings = settings
    raw_topic = app.topic(
        settings.raw_topic,
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        partitions=settings.topic_partitions,
    )
    output_config = {"max.message.bytes": str(settings.max_output_bytes)}
    enriched_topic = app.topic(
        settings.enriched_topic,
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        partitions=settings.topic_partitions, config=output_config,
    )
    dlq_topic = app.topic(
        settings.dlq_topic,
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        partitions=settings.topic_partitions, config=output_config,
    )
    mentions_topic = app.topic(
        settings.mentions_topic,
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        partitions=settings.topic_partitions,
    )
    topics = {settings.enriched_topic: enriched_topic, settings.dlq_topic: dlq_topic,
              settings.mentions_topic: mentions_topic}
    handler = ArticleHandler(settings)
    window = DeliveryWindow(settings.max_in_flight)
    app.delivery_window = window

    async def send(record: OutRecord):
        return await topics[record.topic].send(
            key=record.key, value=record.value, headers=record.headers
        )

    @app.agent(raw_topic, name="enrich-articles")
    async def enrich_articles(stream):
        stream = stream.noack()
        window.stream = stream
        async for event in stream.events():
            message = event.message
            position = InputPosition(message.topic, message.partition, message.offset, message.timestamp and int(message.timestamp * 1000))
            outcome = handler.handle(message.value, message.key, list(message.headers or ()), position)
            futures = [await send(record) for record in outcome.records]
            await window.add(event, outcome, futures, send, handler)

    @app.timer(interval=0.02)
    async def settle_deliveries():
        # Acks finished deliveries while the input is idle, so their offsets get committed.
        await window.settle_ready()

    install_trending(app, settings, mentions_topic)
    install_http(app, settings)
    return app


class DeliveryWindow:
    """FIFO of messages whose output records are on their way to the broker.

    A message is acked in input order once all its records are acknowledged.  A record the
    broker refuses is replaced by a dead-letter record for its message; if even that fails the
    worker stops without acking, so the message is read again after a restart.
    """

    def __init__(self, max_in_flight: int) -> None:
        self.max_in_flight = max_in_flight
        self.pending: deque = deque()
        self.stream = None
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self.pending)

    async def add(self, event, outcome, futures, send, handler) -> None:
        self.pending.append((event, outcome, futures, send, handler))
        await self.settle_ready()
        while len(self.pending) > self.max_in_flight:
            await self.settle_oldest()

    async def settle_ready(self) -> None:
        async with self._lock:
            while self.pending and all(f.done() for f in self.pending[0][2]):
                await self._settle(self.pending.popleft())

    async def settle_oldest(self) -> None:
        async with self._lock:
            if self.pending:
                await self._settle(self.pending.popleft())

    async def drain(self) -> None:
        while self.pending:
            await self.settle_oldest()

    async def _settle(self, item) -> None:
        event, outcome, futures, send, handler = item
        try:
            await asyncio.gather(*futures)
        except Exception as exc:
            if outcome.status == "dead_letter":
                raise  # the dead-letter topic itself is unwritable: stop, do not ack
            log.warning("publishing the enriched event failed (%s); dead-lettering the message", exc)
            message = event.message
            position = InputPosition(message.topic, message.partition, message.offset)
            fallback = handler.dead_letter(
                message.value, message.key, list(message.headers or ()), position,
                exc, "publish", "publish_failed",
            )
            for record in fallback.records:
                await (await send(record))
        await self.stream.ack(event)
