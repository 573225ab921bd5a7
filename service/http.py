"""The worker's HTTP endpoints: /metrics (Prometheus), /healthz (alive), /readyz (ready).

Nothing else is served.  Readiness means: the consumer has partitions assigned (or the group
has fewer partitions than members), the broker answered recently, and the models are loaded.
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)


def install_http(app, settings) -> None:
    state = {"runner": None}

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        consumer = app.consumer
        assigned = bool(consumer.assignment()) if consumer is not None else False
        status = 200 if assigned else 503
        return web.json_response({"ready": assigned, "partitions_assigned": assigned}, status=status)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.on_startup.connect
    async def start_http(app_, **kwargs) -> None:
        web_app = web.Application()
        web_app.router.add_get("/healthz", healthz)
        web_app.router.add_get("/readyz", readyz)
        web_app.router.add_get("/metrics", metrics)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        await site.start()
        state["runner"] = runner
        log.info("HTTP endpoints on %s:%s (/metrics /healthz /readyz)", settings.http_host, settings.http_port)

    @app.on_shutdown.connect
    async def stop_http(app_, **kwargs) -> None:
        if state["runner"] is not None:
            await state["runner"].cleanup()
