# Two commands on a fresh clone:  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KAFKA := deploy/local/kafka.sh
export NEWS_ENRICHER_BOOTSTRAP_SERVERS ?= 127.0.0.1:19092

.PHONY: setup demo test test-unit test-integration bench broker-start broker-stop clean

$(BIN)/news-enricher: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# The native tagger (native/, Rust): same output as the Python tagger, a faster entity stage.
# Built when cargo is present (PATH or ~/.cargo/bin); without it the service runs its Python path.
NATIVE_STAMP := $(VENV)/.native-installed
$(NATIVE_STAMP): $(BIN)/news-enricher native/pyproject.toml native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs)
	@export PATH="$$PATH:$$HOME/.cargo/bin"; \
	if command -v cargo >/dev/null 2>&1; then \
	  echo "setup: building and installing the native tagger (native/, $$(cargo --version))"; \
	  $(BIN)/pip install --quiet ./native && $(BIN)/python -c "import news_enricher_native" && touch $@; \
	else \
	  echo "setup: cargo not found: the native tagger (news_enricher_native) is NOT installed;" \
	       "the tagger runs its Python path (same output, slower entity stage)." \
	       "Install Rust (https://rustup.rs) and run make setup again."; \
	fi

setup: $(BIN)/news-enricher $(NATIVE_STAMP)  ## create the virtualenv and install the service with its test tools (and the native tagger when cargo is present)

broker-start:  ## start the local single-node Kafka broker (downloads the jars once)
	bash $(KAFKA) start

broker-stop:
	bash $(KAFKA) stop

demo: setup broker-start  ## run the worker on the local broker, feed the samples, show the enriched events
	bash deploy/local/demo.sh

test: setup  ## the whole suite: unit tests and integration tests on a broker the suite starts itself
	$(BIN)/pytest -q

test-unit: setup
	$(BIN)/pytest -q tests/unit

test-integration: setup
	$(BIN)/pytest -q tests/integration

# As the image runs (Dockerfile): malloc on transparent huge pages where the kernel allows it.
BENCH_ENV := GLIBC_TUNABLES=glibc.malloc.hugetlb=1
bench: setup broker-start  ## benchmarks (see BENCHMARKS.md); installs the dateparser baseline
	$(BIN)/pip install --quiet -e ".[test,eval]"
	mkdir -p bench/results
	$(BENCH_ENV) $(BIN)/python -m bench.bench_enrich --json bench/results/enrich.json
	$(BENCH_ENV) $(BIN)/python -m bench.bench_e2e --json bench/results/e2e.json

clean: broker-stop
	rm -rf $(VENV) deploy/local/.kafka .news-enricher native/target
