# syntax=docker/dockerfile:1
# news-enricher worker image.
#   docker build -t news-enricher .
#   docker run --rm -e NEWS_ENRICHER_BOOTSTRAP_SERVERS=kafka:9092 -p 8080:8080 news-enricher
# Models and language data ship inside the `service` package (service/data/), so the wheel
# carries them: nothing is downloaded at run time.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- build: a wheel of the project and a virtualenv with it and its dependencies ----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install /wheels/*.whl \
 && /opt/venv/bin/news-enricher --help > /dev/null

# --- run: the virtualenv only; no compiler, no pip cache, no sources ------------------------
FROM ${PYTHON_IMAGE} AS run
# tini as PID 1 forwards SIGTERM to the worker (graceful shutdown: in-flight records are
# delivered and offsets committed) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.* \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 enricher \
 && useradd --system --uid 10001 --gid enricher --home-dir /var/lib/news-enricher --create-home enricher
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NEWS_ENRICHER_HTTP_PORT=8080 \
    NEWS_ENRICHER_DATA_DIR=/var/lib/news-enricher
USER 10001:10001
WORKDIR /var/lib/news-enricher
EXPOSE 8080
# No curl in slim images: a standard-library probe of /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NEWS_ENRICHER_HTTP_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["/usr/bin/tini", "--", "news-enricher", "worker"]
