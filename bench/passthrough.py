"""Baseline worker: the same faust app, topics, acking and producer, but no enrichment.

Each input message is forwarded unchanged to the enriched topic, keyed by its input key. It
measures the I/O ceiling of the Kafka shell:  python -m bench.passthrough  (same settings).
"""

from __future__ import annotations

import sys

from service import worker
from service.cli import main


def forward(self, value, key, headers, position):
    record = worker.OutRecord(self.settings.enriched_topic, key, value or b"", [])
    return worker.Outcome("enriched", [record], article_id=key.decode() if key else None)


if __name__ == "__main__":
    worker.ArticleHandler.handle = forward
    sys.exit(main(["worker"]))
