"""Every setting of the service, read once from environment variables (prefix NEWS_ENRICHER_).

The README's configuration table lists the same names; `news-enricher settings` prints the
effective values with secrets masked.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, fields

PREFIX = "NEWS_ENRICHER_"
_SECRET_FIELDS = {"sasl_password", "ssl_key_password"}


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(PREFIX + name)
    if value is None or value == "":
        return default
    return value


def _secret(name: str) -> str | None:
    """A secret comes from NAME or from the file named by NAME_FILE (Kubernetes secrets)."""
    path = _env(name + "_FILE")
    if path:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    return _env(name)


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{PREFIX}{name} must be an integer, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{PREFIX}{name} must be a number, got {raw!r}") from None


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{PREFIX}{name} must be true or false, got {raw!r}")


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (_env(name, default) or default).strip().lower()
    if value not in allowed:
        raise SystemExit(f"{PREFIX}{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    bootstrap_servers: str
    raw_topic: str
    enriched_topic: str
    dlq_topic: str
    mentions_topic: str
    trending_topic: str
    mention_counts_topic: str
    topic_partitions: int
    topic_replication: int
    consumer_group: str
    group_instance_id: str | None
    client_id: str
    security_protocol: str
    sasl_mechanism: str | None
    sasl_username: str | None
    sasl_password: str | None
    ssl_cafile: str | None
    ssl_certfile: str | None
    ssl_keyfile: str | None
    ssl_key_password: str | None
    max_message_bytes: int
    max_output_bytes: int
    max_in_flight: int
    commit_interval_s: float
    producer_linger_ms: int
    fetch_max_wait_ms: int
    http_host: str
    http_port: int
    trending_window_s: float
    trending_in_worker: bool
    log_level: str
    data_dir: str
    date_conventions: str
    event_loop: str

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            bootstrap_servers=_env("BOOTSTRAP_SERVERS", "localhost:9092"),
            raw_topic=_env("RAW_TOPIC", "articles.raw"),
            enriched_topic=_env("ENRICHED_TOPIC", "articles.enriched"),
            dlq_topic=_env("DLQ_TOPIC", "articles.dlq"),
            mentions_topic=_env("MENTIONS_TOPIC", "entities.mentions"),
            trending_topic=_env("TRENDING_TOPIC", "entities.trending"),
            # Internal: per-second mention counts the workers pre-aggregate for the trending
            # table (service/mention_counts.py); the same partition count as the mentions topic.
            mention_counts_topic=_env("MENTION_COUNTS_TOPIC", _env("MENTIONS_TOPIC", "entities.mentions") + ".counts"),
            topic_partitions=_int("TOPIC_PARTITIONS", 4),
            topic_replication=_int("TOPIC_REPLICATION", 1),
            consumer_group=_env("CONSUMER_GROUP", "news-enricher"),
            group_instance_id=_env("GROUP_INSTANCE_ID"),
            client_id=_env("CLIENT_ID", f"news-enricher-{socket.gethostname()}"),
            security_protocol=_env("SECURITY_PROTOCOL", "PLAINTEXT").upper(),
            sasl_mechanism=_env("SASL_MECHANISM"),
            sasl_username=_env("SASL_USERNAME"),
            sasl_password=_secret("SASL_PASSWORD"),
            ssl_cafile=_env("SSL_CAFILE"),
            ssl_certfile=_env("SSL_CERTFILE"),
            ssl_keyfile=_env("SSL_KEYFILE"),
            ssl_key_password=_secret("SSL_KEY_PASSWORD"),
            # Input messages above this size go to the dead-letter topic unread.
            max_message_bytes=_int("MAX_MESSAGE_BYTES", 1024 * 1024),
            # The enriched event repeats the text and adds annotations; the output topics
            # are created with this max.message.bytes and the producer allows it.
            max_output_bytes=_int("MAX_OUTPUT_BYTES", 8 * 1024 * 1024),
            # Articles enriched and sent but not yet acknowledged by the broker; consumption
            # pauses when this many are outstanding (backpressure instead of memory growth).
            max_in_flight=_int("MAX_IN_FLIGHT", 500),
            commit_interval_s=_float("COMMIT_INTERVAL_SECONDS", 1.0),
            # How long the producer waits to fill a batch.  An article's ~10 records are sent
            # within a millisecond, so a few ms gathers them (and neighbouring articles') into
            # one produce request instead of several: fewer broker wake-ups per article.
            producer_linger_ms=_int("PRODUCER_LINGER_MS", 5),
            # How long the broker may hold an empty fetch; a record on a partition outside the
            # fetch in flight waits up to this long (delivery.FETCH_MAX_WAIT_MS).
            fetch_max_wait_ms=_int("FETCH_MAX_WAIT_MS", 100),
            http_host=_env("HTTP_HOST", "0.0.0.0"),
            http_port=_int("HTTP_PORT", 8080),
            trending_window_s=_float("TRENDING_WINDOW_SECONDS", 300.0),
            # Count entities.mentions into entities.trending inside the enrichment worker (true),
            # or leave it to a separate `news-enricher trending` process (false).
            trending_in_worker=_bool("TRENDING_IN_WORKER", True),
            log_level=_env("LOG_LEVEL", "info").lower(),
            data_dir=_env("DATA_DIR", os.path.join(os.getcwd(), ".news-enricher")),
            # How the dates stage reads expressions whose meaning differs between Arabic news and the
            # Recognizers-Text specs ("سبتمبر الماضي", "الأحد القادم"...): news | recognizers (docs/dates.md).
            date_conventions=_choice("DATE_CONVENTIONS", "news", ("news", "recognizers")),
            # The worker's asyncio event loop: uvloop (libuv, in C) where it is installed, else the
            # standard one.  faust's per-record futures, tasks and socket callbacks run on it.
            event_loop=_choice("EVENT_LOOP", "auto", ("auto", "uvloop", "asyncio")),
        )

    def masked(self) -> dict[str, object]:
        """All settings with secrets replaced, safe to log."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.name in _SECRET_FIELDS and value else value
        return out

    def __repr__(self) -> str:  # never print a password by accident
        return f"Settings({self.masked()!r})"
