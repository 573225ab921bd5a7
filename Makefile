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

setup: $(BIN)/news-enricher  ## create the virtualenv and install the service with its test tools

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

bench: setup broker-start  ## benchmarks (see BENCHMARKS.md); installs the dateparser baseline
	$(BIN)/pip install --quiet -e ".[test,eval]"
	mkdir -p bench/results
	$(BIN)/python -m bench.bench_enrich --json bench/results/enrich.json
	$(BIN)/python -m bench.bench_e2e --json bench/results/e2e.json

clean: broker-stop
	rm -rf $(VENV) deploy/local/.kafka .news-enricher
