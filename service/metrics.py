"""Prometheus metrics: one definition each, base units, bounded label sets."""

from __future__ import annotations

from datetime import datetime, timezone

from prometheus_client import Counter, Histogram, Info

from . import __version__

# Pipeline stages are a fixed set; languages are folded to a fixed set to bound cardinality.
STAGES = ("normalize", "language", "source", "dates", "entities")
TRACKED_LANGUAGES = frozenset({"ar", "fa", "en", "ur", "fr", "tr", "he", "ru", "es", "de", "zh", "und"})

ARTICLES_CONSUMED = Counter(
    "news_enricher_articles_consumed_total", "Messages read from the raw articles topic."
)
ARTICLES_ENRICHED = Counter(
    "news_enricher_articles_enriched_total", "Articles enriched and handed to the producer."
)
ARTICLES_DEAD_LETTERED = Counter(
    "news_enricher_articles_dead_lettered_total",
    "Messages routed to the dead-letter topic.",
    ["stage", "reason"],
)
STAGE_SECONDS = Histogram(
    "news_enricher_stage_duration_seconds",
    "Time spent in each enrichment stage per article.",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
ARTICLES_BY_LANGUAGE = Counter(
    "news_enricher_articles_by_language_total", "Enriched articles by detected language.", ["language"]
)
BUILD_INFO = Info("news_enricher_build", "Version of the running service.")
BUILD_INFO.info({"version": __version__})


def observe_enriched(event: dict, received_at: datetime) -> None:
    ARTICLES_ENRICHED.inc()
    for stage, ms in event["pipeline"]["timings_ms"].items():
        STAGE_SECONDS.labels(stage).observe(ms / 1000.0)
    lang = event["language"]["code"]
    ARTICLES_BY_LANGUAGE.labels(lang if lang in TRACKED_LANGUAGES else "other").inc()


def observe_dead_letter(stage: str, reason: str) -> None:
    ARTICLES_DEAD_LETTERED.labels(stage, reason).inc()


def now() -> datetime:
    return datetime.now(timezone.utc)
