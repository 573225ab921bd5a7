#!/usr/bin/env bash
# Feed the bundled sample articles through a worker on the local broker and print the results.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
export NEWS_ENRICHER_BOOTSTRAP_SERVERS="${NEWS_ENRICHER_BOOTSTRAP_SERVERS:-127.0.0.1:19092}"
# A demo-only group and topics so repeated demos start clean and never touch real data.
run_id="demo-$(date +%s)"
export NEWS_ENRICHER_RAW_TOPIC="$run_id.articles.raw"
export NEWS_ENRICHER_ENRICHED_TOPIC="$run_id.articles.enriched"
export NEWS_ENRICHER_DLQ_TOPIC="$run_id.articles.dlq"
export NEWS_ENRICHER_MENTIONS_TOPIC="$run_id.entities.mentions"
export NEWS_ENRICHER_TRENDING_TOPIC="$run_id.entities.trending"
export NEWS_ENRICHER_CONSUMER_GROUP="$run_id"
export NEWS_ENRICHER_DATA_DIR="${TMPDIR:-/tmp}/news-enricher-$run_id"
export NEWS_ENRICHER_HTTP_PORT="${NEWS_ENRICHER_HTTP_PORT:-18080}"

log="$NEWS_ENRICHER_DATA_DIR.worker.log"
$BIN/news-enricher worker >"$log" 2>&1 &
worker=$!
trap 'kill -TERM $worker 2>/dev/null; wait $worker 2>/dev/null || true' EXIT

count=$(ls samples/*.txt | wc -l)
count=$((count + $(cat samples/*.jsonl | grep -c .)))
$BIN/news-enricher produce samples/
echo "waiting for $count enriched events (worker log: $log)..." >&2
$BIN/news-enricher tail --from-beginning --max "$count" --timeout 60 --brief
echo "full events: $BIN/news-enricher tail --topic $NEWS_ENRICHER_ENRICHED_TOPIC --from-beginning" >&2
