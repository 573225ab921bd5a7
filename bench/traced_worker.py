"""The worker with a timeline: `python -m bench.traced_worker` runs `news-enricher worker` and
writes what happened when to NEWS_ENRICHER_TRACE_OUT (JSON lines, epoch seconds) at exit.

A development tool for bench.trace_latency (--traced): it patches, in this process only,

- aiokafka's fetcher: when each fetch request was sent and answered, and for which partitions;
- the consumer thread: when records were taken from aiokafka's buffers (per partition, offsets);
- the handler: when each article's handle() began and ended (partition, offset);
- the enriched records' acknowledgements (watch_record);
- commits, mention-count flushes and garbage collections (start, duration);
- every 0.5 s, each thread's CPU time and run-queue wait (/proc/self/task/*/schedstat);
- with NEWS_ENRICHER_REPLAY_CORPUS set, enrich() is bench.replay_worker's lookup (the shell alone);
- an event-loop probe sleeping 2 ms: every wake-up later than 5 ms, and, under the standard
  asyncio loop (NEWS_ENRICHER_EVENT_LOOP=asyncio), every callback that ran longer than 5 ms with
  what it was.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import os
import sys
import time

import orjson

EVENTS: list = []
SLOW_S = 0.005


def _dump() -> None:
    path = os.environ.get("NEWS_ENRICHER_TRACE_OUT")
    if path:
        with open(path, "wb") as fh:
            for event in EVENTS:
                fh.write(orjson.dumps(event, default=str) + b"\n")


def _what(handle) -> str:
    """The coroutine a task's step or wake-up handle runs, else the handle's repr."""
    owner = getattr(handle._callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        name = getattr(coro, "__qualname__", str(coro))
        frame = getattr(coro, "cr_frame", None)
        agent = frame.f_locals.get("self") if frame is not None and name == "Agent._execute_actor" else None
        inner = frame.f_locals.get("task") if frame is not None and name == "Service._execute_task" else None
        inner = getattr(inner, "__qualname__", None) or getattr(getattr(inner, "cr_code", None), "co_name", None)
        return f"task {name}" + (f" {agent.name}" if agent is not None else "") + (f" {inner}" if inner else "")
    return repr(handle)[:200]


def _wrap_async(owner, name: str, kind: str) -> None:
    original = getattr(owner, name)

    async def wrapped(*args, **kwargs):
        started = time.time()
        try:
            return await original(*args, **kwargs)
        finally:
            EVENTS.append({"kind": kind, "t": started, "d": time.time() - started})

    setattr(owner, name, wrapped)


def install() -> None:
    from aiokafka.consumer import fetcher as aiokafka_fetcher

    from service import delivery, mention_counts, metrics, worker

    # fetch requests
    original_proc = aiokafka_fetcher.Fetcher._proc_fetch_request

    async def proc_fetch_request(self, assignment, node_id, request):
        started = time.time()
        tps = [(topic, p[0]) for topic, parts in request._topics for p in parts] \
            if hasattr(request, "_topics") else None
        try:
            return await original_proc(self, assignment, node_id, request)
        finally:
            EVENTS.append({"kind": "fetch", "t": started, "d": time.time() - started, "tps": tps,
                           "buffered": sorted((tp.topic, tp.partition) for tp in self._records)})

    aiokafka_fetcher.Fetcher._proc_fetch_request = proc_fetch_request

    # records taken from aiokafka's buffers, on the consumer thread
    original_fetch = delivery.ConsumerThread._fetch_records

    async def fetch_records(self, consumer, active_partitions, timeout=None, max_records=None):
        records = await original_fetch(self, consumer, active_partitions, timeout=timeout,
                                       max_records=max_records)
        if records:
            EVENTS.append({"kind": "taken", "t": time.time(),
                           "records": [[tp.topic, tp.partition, [r.offset for r in batch]]
                                       for tp, batch in records.items()]})
        return records

    delivery.ConsumerThread._fetch_records = fetch_records

    # the handler
    original_handle = worker.ArticleHandler.handle

    def handle(self, value, key, headers, position):
        started = time.time()
        try:
            return original_handle(self, value, key, headers, position)
        finally:
            EVENTS.append({"kind": "handle", "t": started, "d": time.time() - started,
                           "p": position.partition, "o": position.offset})

    worker.ArticleHandler.handle = handle

    original_watch = metrics.watch_record

    def watch_record(record, future):
        original_watch(record, future)
        if record.output == "enriched":
            sent = time.time()
            future.add_done_callback(lambda f: EVENTS.append(
                {"kind": "acked", "t": sent, "d": time.time() - sent, "key": record.key}))

    metrics.watch_record = watch_record
    import service.app as service_app

    service_app.metrics = metrics  # (the module object: watch_record patched on it above)

    _wrap_async(delivery.GuardedConsumer, "commit", "commit")
    from faust.transport.producer import ProducerBuffer

    original_ebb = ProducerBuffer.wait_until_ebb

    async def wait_until_ebb(self):
        if self.size > self.max_messages:
            started, size = time.time(), self.size
            await original_ebb(self)
            EVENTS.append({"kind": "ebb_wait", "t": started, "d": time.time() - started, "size": size})

    ProducerBuffer.wait_until_ebb = wait_until_ebb
    _wrap_async(mention_counts.MentionCounter, "flush", "counts_flush")

    gc_started = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_started[0] = time.time()
        else:
            EVENTS.append({"kind": "gc", "t": gc_started[0], "d": time.time() - gc_started[0],
                           "gen": info["generation"]})

    gc.callbacks.append(on_gc)

    # slow callbacks (standard asyncio loop only)
    original_run = asyncio.events.Handle._run

    def run(self):
        started, cpu = time.time(), time.thread_time()
        try:
            return original_run(self)
        finally:
            took = time.time() - started
            if took > SLOW_S:
                EVENTS.append({"kind": "slow_callback", "t": started, "d": took, "cpu": time.thread_time() - cpu,
                               "what": _what(self)})

    asyncio.events.Handle._run = run

    original_create_app = service_app.create_app

    def create_app(settings=None):
        app = original_create_app(settings)

        @app.timer(interval=0.5)
        async def scheduler_stats():
            # per thread: CPU ns, ns runnable but waiting for a core (the kernel's schedstat)
            stats = {}
            for tid in os.listdir("/proc/self/task"):
                try:
                    with open(f"/proc/self/task/{tid}/schedstat") as fh:
                        run, wait, _ = fh.read().split()
                    with open(f"/proc/self/task/{tid}/comm") as fh:
                        name = fh.read().strip()
                except OSError:
                    continue
                stats[tid] = (name, int(run), int(wait))
            EVENTS.append({"kind": "schedstat", "t": time.time(), "main": os.getpid(), "threads": stats})

        @app.task
        async def probe():
            loop = asyncio.get_running_loop()
            while True:
                before = loop.time()
                await asyncio.sleep(0.002)
                late = loop.time() - before - 0.002
                if late > SLOW_S:
                    EVENTS.append({"kind": "loop_late", "t": time.time() - late - 0.002, "d": late})

        return app

    service_app.create_app = create_app  # cmd_worker imports it when it runs
    atexit.register(_dump)


if __name__ == "__main__":
    install()
    if "NEWS_ENRICHER_REPLAY_CORPUS" in os.environ:  # trace_latency --replay --traced: the shell alone
        from bench import replay_worker

        replay_worker.install()
    from service.cli import main

    sys.exit(main(["worker"]))
