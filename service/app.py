"""The faust worker: wiring only.  articles.raw -> enrich() -> articles.enriched | articles.dlq

Delivery: at-least-once.  The agent reads without auto-acknowledgement; a message is acked
(and so its offset becomes committable) only after every record it produced has been
acknowledged by the broker.  Up to `max_in_flight` messages may be outstanding, which keeps
the producer busy without unbounded buffering.

Stopping (SIGTERM) and losing partitions in a rebalance both drain the window first: the
message being enriched is finished, every outstanding record is awaited, its message acked,
and the offsets committed, all before faust's own final commit.  faust's `stream_wait_empty`
is off because it waits for messages faust itself dropped from the agent's queue on stop and
so hangs until the shutdown timeout; our drain waits for exactly the messages we hold.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque

import faust
from aiokafka.errors import KafkaError, KafkaTimeoutError
from faust.exceptions import ConsumerNotStarted
from faust.transport.drivers import aiokafka as faust_aiokafka

from .http import install_http
from .model import InputPosition
from .settings import Settings
from .trending import install_trending
from .worker import ArticleHandler, OutRecord

log = logging.getLogger("news_enricher")

# Longest a stop or a partition revocation waits for outstanding records (the rebalance itself
# allows about the session timeout); what is not settled by then is not acked, so it is read
# again after the restart: duplicates, never loss.
DRAIN_TIMEOUT_S = 20.0
# A partition re-read from a skipped message is not re-read again for the same hole sooner than
# this: the fetch after a seek needs a moment, and the hole is only closed once it is processed.
REWIND_RETRY_S = 10.0


class IdempotentProducer(faust_aiokafka.Producer):
    """faust enables idempotence only for exactly-once; we want it for at-least-once too, so
    broker-side retries never write a record twice."""

    def _settings_extra(self):
        return {"acks": "all", "enable_idempotence": True}


class GuardedConsumer(faust_aiokafka.Consumer):
    """Only offsets our DeliveryWindow settled become committable on the raw topic.

    faust acks an event it *skips* (fetched, but flow control was paused for a stop or a
    rebalance) so that lag does not grow; with our manual acks that would commit a message that
    was never enriched.  Measured: 2 of 2,000 articles lost across a SIGTERM before this guard."""

    def ack(self, message) -> bool:
        window = getattr(self.app, "delivery_window", None)
        if window is not None and message.topic == window.topic and not window.take_settled(message):
            return False  # not enriched here: leave the gap, the message is read again
        return super().ack(message)

    def _new_offset(self, tp):
        # faust lets a commit pass a one-message hole right after the committed offset (its check
        # is `min(acked) - committed > 1`, but `committed` is already the next offset to read).
        # A message faust skipped while pausing for a stop makes exactly such a hole: 3 of 2,000
        # articles were lost across a SIGTERM that way.  Holes that are offset gaps the fetcher
        # saw (transaction markers, compaction) stay committable.
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked and committed is not None:
            first = min(acked)
            if first > committed and not self._gap_covers(tp, committed, first):
                # Acks are in input order, so the hole is a message the agent never saw: read
                # the partition again from there (the messages after it come out twice).
                self.holes[tp] = committed
                return None
        return super()._new_offset(tp)

    @property
    def holes(self) -> dict:
        try:
            return self._holes
        except AttributeError:
            self._holes: dict = {}
            self._rewound: dict = {}
            return self._holes

    async def rewind_holes(self, now: float) -> None:
        """Seek each partition with a skipped message back to it, at most once per hole per
        REWIND_RETRY_S (the re-read takes a moment to arrive)."""
        while self.holes:
            tp, offset = self.holes.popitem()
            if tp not in self.assignment():
                continue
            last = self._rewound.get(tp)
            if last is not None and last[0] == offset and now - last[1] < REWIND_RETRY_S:
                continue
            self._rewound[tp] = (offset, now)
            log.warning("re-reading %s from offset %d: a message there was skipped during a pause", tp, offset)
            await self.seek(tp, offset)

    def _gap_covers(self, tp, start: int, end: int) -> bool:
        """True if every offset in [start, end) is a known gap in the partition's offsets."""
        position = start
        for interval in sorted(self._gap[tp].overlap(start, end), key=lambda i: i.begin):
            if interval.begin > position:
                return False
            position = max(position, interval.end)
        return position >= end


class Transport(faust_aiokafka.Transport):
    Producer = IdempotentProducer
    Consumer = GuardedConsumer


class EnricherApp(faust.App):
    def _new_transport(self):
        return Transport(self.conf.broker_consumer, self)


SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def broker_credentials(settings: Settings):
    protocol = settings.security_protocol
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=settings.ssl_cafile)
        if settings.ssl_certfile:
            context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile, settings.ssl_key_password)
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        mechanism = (settings.sasl_mechanism or "PLAIN").upper()
        if mechanism not in SASL_MECHANISMS:
            raise SystemExit(f"unsupported SASL mechanism {mechanism!r}; use one of {', '.join(SASL_MECHANISMS)}")
        if not settings.sasl_username or not settings.sasl_password:
            raise SystemExit("SASL needs NEWS_ENRICHER_SASL_USERNAME and NEWS_ENRICHER_SASL_PASSWORD(_FILE)")
        # faust passes these to aiokafka as sasl_plain_username/password for PLAIN and SCRAM
        # alike; its repr shows the user name only.
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password,
            mechanism=mechanism,
            ssl_context=context,
        )
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    if protocol != "PLAINTEXT":
        raise SystemExit(f"unsupported security protocol {protocol!r}")
    return None


class _RedactSecrets:
    """Log-record factory that masks secrets in every record, whoever logs it.

    aiokafka logs each request at debug level, and a SASL PLAIN handshake request carries the
    password in its bytes; a factory sees every record before any handler formats it."""

    def __init__(self, secrets: list[str], make_record) -> None:
        # The secret as text and as it shows inside a logged bytes repr (escaped).
        forms = {form for s in secrets if s for form in (s, repr(s.encode())[2:-1])}
        self.secrets = sorted(forms, key=len, reverse=True)
        self.make_record = make_record

    def __call__(self, *args, **kwargs):
        record = self.make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return record
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return record


def redact_secrets_in_logs(settings: Settings) -> None:
    secrets = [settings.sasl_password, settings.ssl_key_password]
    if not any(secrets):
        return
    current = logging.getLogRecordFactory()
    if isinstance(current, _RedactSecrets):
        current = current.make_record  # a second app in this process: replace, do not stack
    logging.setLogRecordFactory(_RedactSecrets(secrets, current))


def create_app(settings: Settings | None = None) -> faust.App:
    settings = settings or Settings.from_env()
    redact_secrets_in_logs(settings)
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
        stream_wait_empty=False,  # we drain our own DeliveryWindow instead (module docstring)
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
    window = DeliveryWindow(settings.max_in_flight, on_fatal=app.crash, topic=settings.raw_topic)
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
            window.busy()  # a drain waits until this event is in the window
            try:
                message = event.message
                position = _position(message)
                outcome = handler.handle(message.value, message.key, list(message.headers or ()), position)
                futures = [await send(record) for record in outcome.records]
                await window.add(event, outcome, futures, send, handler)
            finally:
                window.idle()

    @app.timer(interval=0.02)
    async def settle_deliveries():
        # Acks finished deliveries while the input is idle, so their offsets get committed.
        await window.settle_ready()
        consumer = app.consumer
        if isinstance(consumer, GuardedConsumer) and consumer.holes:
            await consumer.rewind_holes(asyncio.get_running_loop().time())

    async def drain_and_commit(why: str) -> None:
        started = asyncio.get_running_loop().time()
        pending = len(window)
        try:
            await asyncio.wait_for(window.drain_all(), DRAIN_TIMEOUT_S)
        except asyncio.TimeoutError:
            log.warning("%s: %d messages still unsettled after %.0f s; they will be read again",
                        why, len(window), DRAIN_TIMEOUT_S)
        try:
            assigned = app.consumer.assignment()
        except ConsumerNotStarted:  # stopped before the consumer ever started: nothing to commit
            assigned = set()
        if assigned:
            await app.consumer.commit()
        log.info("%s: drained %d in-flight messages and committed in %.3f s",
                 why, pending, asyncio.get_running_loop().time() - started)

    @app.on_partitions_revoked.connect
    async def drain_on_revoke(app_, revoked=None, **kwargs) -> None:
        # Commit what we finished before another member takes the partitions over.
        if revoked:
            await drain_and_commit("partitions revoked")

    @app.on_before_shutdown.connect
    async def drain_on_stop(app_, **kwargs) -> None:
        # Runs after faust paused fetching and before it stops the consumer and producer.
        await drain_and_commit("shutdown")

    install_trending(app, settings, mentions_topic)
    install_http(app, settings)
    return app


class DeliveryWindow:
    """FIFO of messages whose output records are on their way to the broker.

    A message is acked in input order once all its records are acknowledged.  A record the
    broker refuses is replaced by a dead-letter record for its message; if even that fails the
    worker stops without acking, so the message is read again after a restart.
    """

    def __init__(self, max_in_flight: int, on_fatal=None, topic: str | None = None) -> None:
        self.max_in_flight = max_in_flight
        self.topic = topic  # the input topic whose acks GuardedConsumer checks
        self.settled: set[tuple[int, int]] = set()  # (partition, offset) acked by us, not yet seen by the consumer
        self.pending: deque = deque()
        self.stream = None
        self.on_fatal = on_fatal  # called (app.crash) when a message can be neither sent nor dead-lettered
        self._lock = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()

    def take_settled(self, message) -> bool:
        """True (once) if this window acked the message itself."""
        key = (message.partition, message.offset)
        if key in self.settled:
            self.settled.discard(key)
            return True
        return False

    def busy(self) -> None:
        self._idle.clear()

    def idle(self) -> None:
        self._idle.set()

    async def drain_all(self) -> None:
        """Let the agent finish its current message, then settle everything outstanding."""
        await self._idle.wait()
        await self.drain()

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
            if outcome.status == "dead_letter" or _transient(exc):
                # The dead-letter topic itself is unwritable, or the broker is unreachable
                # beyond the producer's own retries: stop without acking, so this message
                # (and everything after it) is read again after the restart.
                log.error("cannot deliver the records of %s: %r; stopping without ack",
                          _position(event.message), exc)
                if self.on_fatal is not None:
                    await self.on_fatal(exc)
                raise
            # The broker refused this record (e.g. too large): dead-letter the message.
            log.warning("publishing the enriched event failed (%r); dead-lettering the message", exc)
            message = event.message
            fallback = handler.dead_letter(
                message.value, message.key, list(message.headers or ()), _position(message),
                exc, "publish", "publish_failed",
            )
            for record in fallback.records:
                await (await send(record))
        message = event.message
        self.settled.add((message.partition, message.offset))
        await self.stream.ack(event)
        self.settled.discard((message.partition, message.offset))  # normally taken by the ack already


def _position(message) -> InputPosition:
    timestamp_ms = int(message.timestamp * 1000) if message.timestamp else None
    return InputPosition(message.topic, message.partition, message.offset, timestamp_ms)


def _transient(exc: BaseException) -> bool:
    """A broker-side or network condition, not something wrong with this record."""
    return isinstance(exc, KafkaTimeoutError) or (isinstance(exc, KafkaError) and exc.retriable)
