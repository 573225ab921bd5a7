# syntax=docker/dockerfile:1
# news-enricher worker image.
#   docker build -t news-enricher .
#   docker run --rm -e NEWS_ENRICHER_BOOTSTRAP_SERVERS=kafka:9092 -p 8080:8080 news-enricher
# Models and language data ship inside the `service` package (service/data/), so the wheel
# carries them: nothing is downloaded at run time.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
# The Rust toolchain that builds the native tagger (native/); only the build stage uses it.
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm

FROM ${RUST_IMAGE} AS rust

# --- build: wheels of the project and of its native tagger, a virtualenv with them ---------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:$PATH
# A C linker for the Rust extension module (build stage only).
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc=4:12.2.* libc6-dev=2.36-* \
 && rm -rf /var/lib/apt/lists/*
COPY --from=rust /usr/local/rustup /usr/local/rustup
COPY --from=rust /usr/local/cargo /usr/local/cargo
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
COPY native ./native
# The native module must import: the image promises the native tagger (NEWS_ENRICHER_TAGGER_NATIVE=0
# still turns it off at run time).
RUN python -m pip wheel --no-deps --wheel-dir /wheels . ./native \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install /wheels/*.whl \
 && /opt/venv/bin/python -c "import news_enricher_native" \
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
# GLIBC_TUNABLES: malloc asks for transparent huge pages (where the host's THP mode is madvise or
# always) for the large tables the enrichment reads at random (word-search automata, tagger
# weights, language model): ~0.94x the enrichment's CPU time (median of 38 alternated pairs,
# BENCHMARKS.md "Huge pages"), ~5 MB more resident memory.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
    NEWS_ENRICHER_HTTP_PORT=8080 \
    NEWS_ENRICHER_DATA_DIR=/var/lib/news-enricher
USER 10001:10001
WORKDIR /var/lib/news-enricher
EXPOSE 8080
# No curl in slim images: a standard-library probe of /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NEWS_ENRICHER_HTTP_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["/usr/bin/tini", "--", "news-enricher", "worker"]
