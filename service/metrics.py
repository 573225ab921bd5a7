"""Prometheus metrics: one definition each, base units, bounded label sets.

The pure parts (`observe_enriched`, `observe_dead_letter`) are called by worker.py for every
article, and `watch_record` by app.py for every record it hands to the producer (acknowledgements,
send errors, receive-to-publish latency).  What only the running faust app knows (records faust
sends itself, consumer lag, in-flight articles, event-loop lag) is observed from outside the
agent by `install_metrics(app, settings)`: a faust sensor, a timer and a scrape-time collector.
docs/operations.md has the table of every metric.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import time

from faust.sensors.base import Sensor
from prometheus_client import REGISTRY, Counter, Histogram, Info
from prometheus_client.core import GaugeMetricFamily

from . import __version__

log = logging.getLogger(__name__)

# Pipeline stages are a fixed set; languages are folded to a fixed set to bound cardinality.
STAGES = ("normalize", "language", "source", "dates", "entities")
TRACKED_LANGUAGES = frozenset({"ar", "fa", "en", "ur", "fr", "tr", "he", "ru", "es", "de", "zh", "und"})
ENTITY_TYPES = frozenset({"PERSON", "ORG", "LOC", "MISC"})
CALENDARS = frozenset({"gregorian", "hijri", "solar_hijri"})
# Output topics are named by role, not by (configurable) topic name, so queries are portable.
OUTPUTS = ("enriched", "dead_letter", "mentions", "mention_counts", "trending", "other")

# Enrichment takes ~1-3 ms per article; buckets from 0.1 ms to 1 s.
_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# Receive-to-publish includes the broker round trip (acks=all) and in-flight queueing.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_LOOP_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

ARTICLES_CONSUMED = Counter(
    "news_enricher_articles_consumed_total", "Messages read from the raw articles topic."
)
ARTICLES_ENRICHED = Counter(
    "news_enricher_articles_enriched_total", "Articles enriched and handed to the producer."
)
ARTICLES_FAILED = Counter(
    "news_enricher_articles_failed_total",
    "Messages that could not be enriched or whose enriched event could not be published.",
    ["stage", "reason"],
)
ARTICLES_DEAD_LETTERED = Counter(
    "news_enricher_articles_dead_lettered_total",
    "Dead-letter records acknowledged by the broker.",
    ["stage", "reason"],
)
STAGE_SECONDS = Histogram(
    "news_enricher_stage_duration_seconds",
    "Time spent in each enrichment stage per article.",
    ["stage"],
    buckets=_STAGE_BUCKETS,
)
ENRICH_SECONDS = Histogram(
    "news_enricher_enrich_duration_seconds",
    "Time spent in all enrichment stages together per article.",
    buckets=_STAGE_BUCKETS,
)
END_TO_END_SECONDS = Histogram(
    "news_enricher_end_to_end_latency_seconds",
    "From receiving a message to the broker acknowledging its enriched event.",
    buckets=_LATENCY_BUCKETS,
)
ENTITIES_FOUND = Counter(
    "news_enricher_entities_found_total", "Entities found in enriched articles, by type.", ["type"]
)
DATES_FOUND = Counter(
    "news_enricher_dates_found_total", "Date expressions found in enriched articles, by calendar.", ["calendar"]
)
ARTICLES_BY_LANGUAGE = Counter(
    "news_enricher_articles_by_language_total", "Enriched articles by detected language.", ["language"]
)
RECORDS_PUBLISHED = Counter(
    "news_enricher_records_published_total",
    "Records acknowledged by the broker, by output (enriched, dead_letter, mentions, mention_counts, trending).",
    ["output"],
)
PRODUCER_SEND_ERRORS = Counter(
    "news_enricher_producer_send_errors_total",
    "Records the broker refused or that timed out, by output.",
    ["output"],
)
EVENT_LOOP_LAG = Histogram(
    "news_enricher_event_loop_lag_seconds",
    "How late a timer callback runs: time the event loop was blocked (CPU-bound work).",
    buckets=_LOOP_BUCKETS,
)
GC_PAUSE_SECONDS = Histogram(
    "news_enricher_gc_pause_seconds",
    "Time the Python garbage collector stopped the process, by generation collected.",
    ["generation"],
    buckets=_LOOP_BUCKETS,
)
BUILD_INFO = Info("news_enricher_build", "Version of the running service and the choices it runs with.")
BUILD_INFO.info({"version": __version__})


def describe_runtime(**labels: str) -> None:
    """Add runtime choices (event loop, date conventions) to the build info, for dashboards that
    must tell workers apart at a glance."""
    BUILD_INFO.info({"version": __version__, **labels})

# Labelled children resolved once: `.labels()` costs more than the observation itself.
_STAGE_CHILD = {stage: STAGE_SECONDS.labels(stage) for stage in (*STAGES, "other")}
_LANGUAGE_CHILD = {lang: ARTICLES_BY_LANGUAGE.labels(lang) for lang in (*TRACKED_LANGUAGES, "other")}
_ENTITY_CHILD = {kind: ENTITIES_FOUND.labels(kind) for kind in (*ENTITY_TYPES, "other")}
_CALENDAR_CHILD = {cal: DATES_FOUND.labels(cal) for cal in (*CALENDARS, "other")}


def observe_enriched(event: dict) -> None:
    ARTICLES_ENRICHED.inc()
    total = 0.0
    for stage, ms in event["pipeline"]["timings_ms"].items():
        (_STAGE_CHILD.get(stage) or _STAGE_CHILD["other"]).observe(ms / 1000.0)
        total += ms
    ENRICH_SECONDS.observe(total / 1000.0)
    (_LANGUAGE_CHILD.get(event["language"]["code"]) or _LANGUAGE_CHILD["other"]).inc()
    # One increment per distinct type/calendar, not per entity.
    for kind, n in collections.Counter(e.get("type") for e in event.get("entities", ())).items():
        (_ENTITY_CHILD.get(kind) or _ENTITY_CHILD["other"]).inc(n)
    for calendar, n in collections.Counter(d.get("calendar") for d in event.get("dates", ())).items():
        (_CALENDAR_CHILD.get(calendar) or _CALENDAR_CHILD["other"]).inc(n)


def observe_dead_letter(stage: str, reason: str) -> None:
    """A message failed; its dead-letter record is counted when the broker acknowledges it."""
    ARTICLES_FAILED.labels(stage, reason).inc()


# --- the running worker ----------------------------------------------------------------------


def _header(headers, name: str) -> str:
    for key, value in headers or ():
        if key == name:
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return "unknown"


_PUBLISHED_CHILD = {output: RECORDS_PUBLISHED.labels(output) for output in OUTPUTS}
_SEND_ERROR_CHILD = {output: PRODUCER_SEND_ERRORS.labels(output) for output in OUTPUTS}


def _acknowledged(output: str, received_at: float | None, headers) -> None:
    (_PUBLISHED_CHILD.get(output) or _PUBLISHED_CHILD["other"]).inc()
    if output == "enriched" and received_at is not None:
        END_TO_END_SECONDS.observe(max(0.0, time.time() - received_at))
    elif output == "dead_letter":
        ARTICLES_DEAD_LETTERED.labels(
            _header(headers, "news-enricher.error.stage"), _header(headers, "news-enricher.error.reason")
        ).inc()


def _refused(output: str) -> None:
    (_SEND_ERROR_CHILD.get(output) or _SEND_ERROR_CHILD["other"]).inc()


def count_published(output: str, ok: bool) -> None:
    """One record of `output` acknowledged (ok) or refused by the broker."""
    if ok:
        _acknowledged(output, None, None)
    else:
        _refused(output)


def watch_record(record, future) -> None:
    """Count one record the worker handed to the producer (a worker.OutRecord) when the broker
    acknowledges or refuses it; the enriched record also ends the receive-to-publish latency."""

    def done(fut) -> None:
        if fut.cancelled() or fut.exception() is not None:
            _refused(record.output)
        else:
            _acknowledged(record.output, record.received_at, record.headers)

    future.add_done_callback(done)


class PublishSensor(Sensor):
    """Observes the records faust itself sends (table changelogs, counted as "other"); the
    records of the worker and of the trending flush are counted by `watch_record`."""

    def __init__(self, settings, **kwargs) -> None:
        super().__init__(**kwargs)
        self.outputs = {settings.trending_topic: "trending"}

    def on_send_initiated(self, producer, topic, message, keysize, valsize):
        return self.outputs.get(topic, "other")

    def on_send_completed(self, producer, state, metadata) -> None:
        if state:
            _acknowledged(state, None, None)

    def on_send_error(self, producer, exc, state) -> None:
        _refused(state or "other")


class WorkerStateCollector:
    """Gauges read at scrape time from the running app: consumer lag per partition, assigned
    partitions, in-flight articles.  Reading at scrape time means revoked partitions vanish
    instead of leaving stale series behind."""

    def __init__(self) -> None:
        self.app = None

    def describe(self):
        return [
            GaugeMetricFamily("news_enricher_consumer_lag_records", "Records behind the end offset, per partition.",
                              labels=["topic", "partition"]),
            GaugeMetricFamily("news_enricher_assigned_partitions", "Partitions assigned to this worker."),
            GaugeMetricFamily("news_enricher_in_flight_articles",
                              "Articles enriched and sent but not yet acknowledged by the broker."),
        ]

    def collect(self):
        lag = GaugeMetricFamily("news_enricher_consumer_lag_records", "Records behind the end offset, per partition.",
                                labels=["topic", "partition"])
        assigned = GaugeMetricFamily("news_enricher_assigned_partitions", "Partitions assigned to this worker.")
        in_flight = GaugeMetricFamily("news_enricher_in_flight_articles",
                                      "Articles enriched and sent but not yet acknowledged by the broker.")
        app = self.app
        tps = set()
        if app is not None:
            window = getattr(app, "delivery_window", None)
            in_flight.add_metric([], len(window) if window is not None else 0)
            for tp, value in consumer_lag(app).items():
                lag.add_metric([tp.topic, str(tp.partition)], value)
            try:
                tps = app.consumer.assignment()
            except Exception:  # consumer not started yet
                tps = set()
        assigned.add_metric([], len(tps))
        return [lag, assigned, in_flight]


def consumer_lag(app) -> dict:
    """{TP: end offset - committed offset} for assigned partitions whose offsets are known.

    Both numbers are local state (the fetcher's highwater and the last commit), so a scrape
    costs no broker round trip.  Before the first commit the read position stands in."""
    try:
        consumer = app.consumer
        tps = consumer.assignment()
    except Exception:
        return {}
    out = {}
    for tp in tps:
        try:
            end = consumer.highwater(tp)
        except Exception:
            end = None
        done = consumer._committed_offset.get(tp)  # faust stores the next offset to read
        if done is None:
            read = consumer._read_offset.get(tp)
            done = read + 1 if read is not None else None
        if end is None or done is None:
            continue
        out[tp] = max(0, end - done)
    return out


_COLLECTOR = WorkerStateCollector()
REGISTRY.register(_COLLECTOR)

# How often the event-loop probe runs and how long it sleeps: lag = oversleep.
LOOP_PROBE_INTERVAL_S = 1.0
LOOP_PROBE_SLEEP_S = 0.05


_GC_CHILD = {generation: GC_PAUSE_SECONDS.labels(str(generation)) for generation in (0, 1, 2)}
_gc_started = [0.0]


def _observe_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        _GC_CHILD[info["generation"]].observe(time.perf_counter() - _gc_started[0])


def install_gc_metrics() -> None:
    """Time every garbage collection (a full one over the loaded models used to take 100-400 ms;
    cli.py freezes them out of the collector after warm-up)."""
    if _observe_gc not in gc.callbacks:
        gc.callbacks.append(_observe_gc)


def install_metrics(app, settings) -> None:
    """Attach the publish sensor, the scrape-time collector, the event-loop probe and the
    garbage-collection timer to `app`."""
    _COLLECTOR.app = app  # one worker app per process; a newer app replaces an older one
    app.sensors.add(PublishSensor(settings))
    install_gc_metrics()

    @app.timer(interval=LOOP_PROBE_INTERVAL_S)
    async def probe_event_loop() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(LOOP_PROBE_SLEEP_S)
        EVENT_LOOP_LAG.observe(max(0.0, loop.time() - start - LOOP_PROBE_SLEEP_S))
