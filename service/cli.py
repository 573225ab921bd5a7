"""news-enricher command line: worker | trending | enrich | produce | tail | settings."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import gc
import logging
import sys
from pathlib import Path
from typing import BinaryIO, Iterator

import orjson

from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="news-enricher",
        description="Multilingual news enrichment (entities, dates, sources) on Kafka.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("worker", help="run the Kafka stream worker",
                       description="Consume raw articles, publish enriched events and dead letters. "
                                   "Configured by NEWS_ENRICHER_* environment variables (see README).")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("trending", help="run the entities.trending aggregation on its own",
                       description="Count entities.mentions records per entity and tumbling window into "
                                   "entities.trending, in its own consumer group (<consumer group>-trending). "
                                   "Use it with workers started with NEWS_ENRICHER_TRENDING_IN_WORKER=false, "
                                   "so enrichment does not share its process with the windowed table. "
                                   "Serves /metrics on NEWS_ENRICHER_HTTP_PORT (0: none).")
    p.set_defaults(func=cmd_trending)

    p = sub.add_parser("enrich", help="enrich files or stdin without Kafka, JSONL to stdout",
                       description="A .txt file is one plain-text article; a .json file one JSON article; "
                                   "a .jsonl file or stdin holds one JSON article per line. Prints one "
                                   "enriched event (or one error record) per input, in input order. "
                                   "Exit status 1 if any input failed.")
    p.add_argument("files", nargs="*", help="input files (default: stdin as JSONL)")
    p.add_argument("--pretty", action="store_true", help="indent the JSON output")
    p.set_defaults(func=cmd_enrich)

    p = sub.add_parser("produce", help="send article files to the raw topic",
                       description="Each .txt file is sent as one plain-text article (content-type "
                                   "text/plain), each line of a .jsonl file as one JSON article; "
                                   "directories are read recursively.")
    p.add_argument("files", nargs="+", help="files or directories")
    p.add_argument("--topic", help="target topic (default: the raw topic setting)")
    p.set_defaults(func=cmd_produce)

    p = sub.add_parser("tail", help="print records of the enriched (or another) topic as JSONL",
                       description="Print records as they arrive; with --dlq, dead letters with their headers.")
    p.add_argument("--topic", help="topic to read (default: the enriched topic)")
    p.add_argument("--dlq", action="store_true", help="read the dead-letter topic")
    p.add_argument("--from-beginning", action="store_true", help="start at the earliest offset")
    p.add_argument("--max", type=int, default=0, help="stop after this many records (0: never)")
    p.add_argument("--timeout", type=float, default=0.0,
                   help="stop after this many seconds without a new record (0: never)")
    p.add_argument("--brief", action="store_true", help="print a one-line summary per event")
    p.set_defaults(func=cmd_tail)

    p = sub.add_parser("settings", help="print the effective settings (secrets masked)")
    p.set_defaults(func=cmd_settings)

    args = parser.parse_args(argv)
    return args.func(args) or 0


def report_crashes() -> None:
    """On a fatal signal (a crash in native code: SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL), write
    every thread's Python stack to stderr before the process dies, so the crash in a container's
    log says where it happened."""
    faulthandler.enable(all_threads=True)


def cmd_worker(args) -> int:
    from .app import create_app

    report_crashes()
    settings = Settings.from_env()
    loop = use_event_loop(settings.event_loop)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger(__name__).info("event loop: %s", loop)
    from .metrics import describe_runtime

    describe_runtime(event_loop=loop, date_conventions=settings.date_conventions)
    app = create_app(settings)
    # Load the language models and knowledge base before joining the consumer group, so the
    # first articles are not delayed by loading and no partition waits on a cold worker.
    from .http import warm_up

    warm_up()
    # The loaded models and knowledge base are ~200,000 long-lived Python objects, and every
    # full garbage collection walked them all: 100-400 ms with the event loop stopped, which
    # was the end-to-end latency tail.  Freezing moves them out of the collector's reach;
    # whatever is allocated later is collected as usual.
    gc.freeze()
    make_faust_worker(app, settings).execute_from_commandline()
    return 0


def cmd_trending(args) -> int:
    from .app import create_trending_app
    from .metrics import describe_runtime, install_metrics

    report_crashes()
    settings = Settings.from_env()
    loop = use_event_loop(settings.event_loop)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.trending_window_s <= 0:
        raise SystemExit("NEWS_ENRICHER_TRENDING_WINDOW_SECONDS must be positive for the trending process")
    app = create_trending_app(settings)
    install_metrics(app, settings)
    describe_runtime(event_loop=loop)
    if settings.http_port:
        from prometheus_client import start_http_server

        start_http_server(settings.http_port, settings.http_host)
    make_faust_worker(app, settings).execute_from_commandline()
    return 0


def use_event_loop(choice: str) -> str:
    """Install the event loop policy before faust creates any loop (its consumer thread makes its
    own from the policy too); returns the loop in use.  `auto` takes uvloop when installed."""
    if choice == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        if choice == "uvloop":
            raise SystemExit("NEWS_ENRICHER_EVENT_LOOP=uvloop, but uvloop is not installed") from None
        return "asyncio"
    import mode.loop

    mode.loop.use("uvloop")
    return "uvloop"


def make_faust_worker(app, settings: Settings):
    """faust's Worker, without its terminal spinner.

    The spinner's log handler sets the root logger to DEBUG (faust.worker
    `_setup_spinner_handler`), so every debug call in faust and aiokafka (several per record
    sent) built and formatted a log record: about 6 % of a worker's CPU time, measured with
    py-spy.  Without the spinner the root logger keeps the configured level."""
    from faust import Worker

    worker = Worker(app, loglevel=settings.log_level, quiet=True)
    worker.spinner = None
    return worker


def _inputs(files: list[str]) -> Iterator[tuple[str, int, bytes, str]]:
    """Yield (source name, line number, bytes, kind) with kind 'text' or 'json'."""
    if not files:
        yield from _jsonl_lines("<stdin>", sys.stdin.buffer)
        return
    for name in files:
        path = Path(name)
        if path.suffix == ".txt":
            yield name, 1, path.read_bytes(), "text"
        elif path.suffix == ".json":
            yield name, 1, path.read_bytes(), "json"
        else:
            with path.open("rb") as fh:
                yield from _jsonl_lines(name, fh)


def _jsonl_lines(name: str, stream: BinaryIO) -> Iterator[tuple[str, int, bytes, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield name, number, line.rstrip(b"\r\n"), "json"


def cmd_enrich(args) -> int:
    from .decode import DecodeError, decode_json, decode_plain_text
    from .model import EnrichmentError
    from .pipeline import Context, enrich

    option = orjson.OPT_APPEND_NEWLINE | (orjson.OPT_INDENT_2 if args.pretty else 0)
    out = sys.stdout.buffer
    conventions = Settings.from_env().date_conventions
    failed = 0
    for source, line, data, kind in _inputs(args.files):
        try:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise DecodeError(f"not valid UTF-8: {exc.reason} at byte {exc.start}", "invalid_utf8") from None
            raw = decode_plain_text(text) if kind == "text" else decode_json(text)
            record = enrich(raw, Context.now(date_conventions=conventions))
        except EnrichmentError as exc:
            failed += 1
            record = _error_record(source, line, data, exc.reason, exc.stage, str(exc))
        except Exception as exc:  # a defect must not stop the batch either
            failed += 1
            record = _error_record(source, line, data, "internal_error", "enrich", f"{type(exc).__name__}: {exc}")
        out.write(orjson.dumps(record, option=option))
    out.flush()
    return 1 if failed else 0


def _error_record(source: str, line: int, data: bytes, reason: str, stage: str, message: str) -> dict:
    article_id = None
    try:
        obj = orjson.loads(data)
        if isinstance(obj, dict) and isinstance(obj.get("id"), (str, int)):
            article_id = str(obj["id"])
    except orjson.JSONDecodeError:
        pass
    return {"error": {"reason": reason, "stage": stage, "message": message[:1000]},
            "source": source, "line": line, "id": article_id}


def kafka_client_options(settings: Settings) -> dict:
    """aiokafka client keyword arguments for the configured security settings."""
    from .app import broker_credentials

    options: dict = {"bootstrap_servers": settings.bootstrap_servers.split(","),
                     "security_protocol": settings.security_protocol}
    creds = broker_credentials(settings)
    if settings.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        options.update(sasl_mechanism=creds.mechanism.value if hasattr(creds.mechanism, "value") else creds.mechanism,
                       sasl_plain_username=settings.sasl_username,
                       sasl_plain_password=settings.sasl_password)
        if creds.ssl_context is not None:
            options["ssl_context"] = creds.ssl_context
    elif settings.security_protocol == "SSL":
        options["ssl_context"] = creds.context
    return options


def _articles_to_send(files: list[str]) -> Iterator[tuple[bytes | None, bytes, list]]:
    paths: list[Path] = []
    for name in files:
        path = Path(name)
        paths.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    for path in paths:
        if path.suffix == ".txt":
            yield None, path.read_bytes(), [("content-type", b"text/plain; charset=utf-8")]
        elif path.suffix in (".jsonl", ".json"):
            with path.open("rb") as fh:
                lines = [fh.read()] if path.suffix == ".json" else fh
                for line in lines:
                    line = line.strip()
                    if not line:
                        continue
                    key = None
                    try:
                        obj = orjson.loads(line)
                        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                            key = obj["id"].encode()
                    except orjson.JSONDecodeError:
                        pass
                    yield key, line, [("content-type", b"application/json")]


def cmd_produce(args) -> int:
    settings = Settings.from_env()
    topic = args.topic or settings.raw_topic

    async def run() -> int:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(
            **kafka_client_options(settings), acks="all", enable_idempotence=True,
            max_request_size=max(settings.max_message_bytes, 1024 * 1024),
        )
        await producer.start()
        try:
            futures = [await producer.send(topic, value=value, key=key, headers=headers)
                       for key, value, headers in _articles_to_send(args.files)]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()
        print(f"sent {len(futures)} articles to {topic}", file=sys.stderr)
        return 0

    return asyncio.run(run())


def cmd_tail(args) -> int:
    settings = Settings.from_env()
    topic = args.topic or (settings.dlq_topic if args.dlq else settings.enriched_topic)

    async def run() -> int:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            topic, **kafka_client_options(settings), group_id=None,
            auto_offset_reset="earliest" if args.from_beginning else "latest",
            enable_auto_commit=False,
        )
        await consumer.start()
        seen = 0
        try:
            while not args.max or seen < args.max:
                batch = await consumer.getmany(timeout_ms=int((args.timeout or 3600) * 1000))
                if not batch:
                    if args.timeout:
                        break
                    continue
                for records in batch.values():
                    for record in records:
                        _print_record(record, args)
                        seen += 1
        finally:
            await consumer.stop()
        return 0

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 0


def _print_record(record, args) -> None:
    out = sys.stdout.buffer
    if args.dlq:
        value = record.value or b""
        try:
            shown = value.decode("utf-8")
        except UnicodeDecodeError:
            shown = None
        line = {"key": record.key.decode("utf-8", "replace") if record.key else None,
                "partition": record.partition, "offset": record.offset,
                "headers": {k: v.decode("utf-8", "replace") for k, v in record.headers},
                "value": shown if shown is not None and len(shown) <= 2000 else None,
                "value_bytes": len(value)}
        out.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
    elif args.brief:
        event = orjson.loads(record.value)
        ents = ", ".join(e.get("name", "?") for e in event.get("entities", [])[:8])
        dates = ", ".join(d.get("value") or "?" for d in event.get("dates", [])[:5])
        line = (f"{event['article_id']} [{event['language']['code']}] {event.get('title') or ''}\n"
                f"    entities: {ents or '-'}\n    dates: {dates or '-'}\n")
        out.write(line.encode())
    else:
        out.write(record.value + b"\n")
    out.flush()


def cmd_settings(args) -> int:
    print(orjson.dumps(Settings.from_env().masked(), option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
