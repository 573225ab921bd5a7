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
import time

import faust
from faust.exceptions import ConsumerNotStarted

from . import metrics
from .delivery import DRAIN_TIMEOUT_S, DeliveryWindow, EnricherApp, GuardedConsumer, position_of
from .http import install_http
from .mention_counts import COUNTS_HEADERS, FLUSH_INTERVAL_S, MAX_ARTICLES_PER_BATCH, MentionCounter, key_partition
from .settings import Settings
from .trending import install_trending, trending_enabled
from .worker import ArticleHandler, OutRecord

log = logging.getLogger("news_enricher")

SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
# The trending process's fetches: up to this many bytes or this long (mention records are ~300 B).
TRENDING_FETCH_MIN_BYTES = 64 * 1024
TRENDING_FETCH_MAX_WAIT_MS = 500


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


def faust_options(settings: Settings) -> dict:
    """faust App settings shared by the enrichment worker and the trending process."""
    return dict(
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
        producer_linger=settings.producer_linger_ms / 1000.0,
        consumer_max_fetch_size=max(settings.max_message_bytes, 1024 * 1024),
        web_enabled=False,
        datadir=settings.data_dir,
        logging_config=None,
    )


def create_app(settings: Settings | None = None) -> faust.App:
    settings = settings or Settings.from_env()
    redact_secrets_in_logs(settings)
    app = EnricherApp(
        settings.consumer_group,
        stream_wait_empty=False,  # we drain our own DeliveryWindow instead (module docstring)
        **faust_options(settings),
    )
    app.enricher_settings = settings
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
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
    # Not among the output topics whose metadata the producer asks for from the start: the broker
    # would create it with its own default partition count; counts_partitions() adds it.
    counts_topic = mention_counts_topic(app, settings) if trending_enabled(settings) else None
    app.output_topics.update(topics)
    handler = ArticleHandler(settings)
    window = DeliveryWindow(settings.max_in_flight, on_fatal=app.crash, topic=settings.raw_topic)
    app.delivery_window = window

    started: list = []  # faust's producer once started: maybe_start_producer costs ~10 us per call

    async def send(record: OutRecord):
        # Straight to the producer: faust's Topic.send adds a FutureMessage, codecs and sensor
        # calls per record (~60 us each, ~11 records per article; measured with
        # bench.profile_worker); the records are bytes already and metrics.watch_record counts
        # them.
        if not started:
            started.append(await app.maybe_start_producer())
        producer = started[0]._ensure_producer()  # aiokafka's, for timestamp_ms
        partition = record.partition
        if partition is None and record.output == "mentions":
            partition = key_partition(producer, record.topic, record.key)  # the same, with murmur2 cached
        future = await producer.send(record.topic, record.value, key=record.key, partition=partition,
                                     timestamp_ms=record.timestamp_ms, headers=record.headers)
        metrics.watch_record(record, future)
        return future

    counter = None
    if counts_topic is not None:
        # Whether or not trending runs in this process, the workers count the mentions they
        # publish (service/mention_counts.py); the trending table reads these counts.
        async def send_counts(topic: str, partition: int, value: bytes):
            return await send(OutRecord(topic, None, value, list(COUNTS_HEADERS), "mention_counts",
                                        partition=partition))

        known_partitions: list[int] = []

        async def counts_partitions() -> int:
            # The app created the topic when it first started (EnricherApp.create_topics_first);
            # declared again in case that failed.  The partition count is read once.
            if not known_partitions:
                await counts_topic.maybe_declare()
                producer = await app.maybe_start_producer()
                app.output_topics.add(settings.mention_counts_topic)
                await producer._ensure_producer().client.add_topic(settings.mention_counts_topic)
                known_partitions.append(
                    len(await producer._ensure_producer().partitions_for(settings.mention_counts_topic)))
            return known_partitions[0]

        counter = MentionCounter(settings.mention_counts_topic, send_counts, counts_partitions,
                                 max_articles=min(MAX_ARTICLES_PER_BATCH, settings.max_in_flight))
        window.counter = counter

        @app.timer(interval=FLUSH_INTERVAL_S)
        async def flush_mention_counts():
            await counter.flush()

    @app.agent(raw_topic, name="enrich-articles")
    async def enrich_articles(stream):
        stream = stream.noack()
        window.stream = stream
        async for event in stream.events():
            window.busy()  # a drain waits until this event is in the window
            try:
                message = event.message
                position = position_of(message)
                outcome = handler.handle(message.value, message.key, list(message.headers or ()), position)
                if counter is not None and outcome.event is not None:
                    # The mention records and their counts carry one publication time, so each
                    # mention is counted in the window its record's timestamp falls in.
                    published_ms = int(time.time() * 1000)
                    for record in outcome.records:
                        if record.output == "mentions":
                            record.timestamp_ms = published_ms
                futures = [await send(record) for record in outcome.records]
                if counter is not None and outcome.event is not None:
                    counted = counter.add(outcome.event, published_ms)
                    if counted is not None:
                        futures.append(counted)
                    if counter.full:
                        await counter.flush()
                await window.add(event, outcome, futures, send, handler)
            finally:
                window.idle()

    @app.timer(interval=0.02)
    async def settle_deliveries():
        # Acks finished deliveries while the input is idle, so their offsets get committed.
        await window.settle_ready()
        consumer = app.consumer
        if isinstance(consumer, GuardedConsumer):
            now = asyncio.get_running_loop().time()
            if consumer.holes:
                await consumer.rewind_holes(now)
            await consumer.retry_rewinds(now)

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

    if settings.trending_in_worker and counts_topic is not None:
        install_trending(app, settings, counts_topic)
    install_http(app, settings)
    return app


def mention_counts_topic(app, settings: Settings):
    """The internal topic of pre-aggregated mention counts (service/mention_counts.py).  The app
    creates it with NEWS_ENRICHER_TOPIC_PARTITIONS partitions when it first starts, before its
    consumer subscribes (EnricherApp.create_topics_first): the broker would otherwise create it
    with its own default partition count, or after the group's first assignment."""
    app.topics_to_create[settings.mention_counts_topic] = settings.topic_partitions
    return app.topic(
        settings.mention_counts_topic,
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        partitions=settings.topic_partitions, internal=True,
    )


def create_trending_app(settings: Settings | None = None) -> faust.App:
    """mention counts -> entities.trending alone, in its own consumer group
    (`<consumer group>-trending`), for `news-enricher trending` next to workers that run with
    NEWS_ENRICHER_TRENDING_IN_WORKER=false.  Its table and changelog are its own."""
    settings = settings or Settings.from_env()
    redact_secrets_in_logs(settings)
    # EnricherApp for its producer (idempotent, changelog sends retried through broker outages).
    app = EnricherApp(f"{settings.consumer_group}-trending", **faust_options(settings))
    app.enricher_settings = settings
    # Counts are flushed every few seconds, so fewer, fuller fetches cost no visible latency;
    # with one-record fetches the consumer thread's fetch round trips were a quarter of this
    # process's CPU (bench.profile_worker --process trending).
    app.fetch_min_bytes, app.fetch_max_wait_ms = TRENDING_FETCH_MIN_BYTES, TRENDING_FETCH_MAX_WAIT_MS
    install_trending(app, settings, mention_counts_topic(app, settings))
    return app
