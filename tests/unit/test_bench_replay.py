"""bench.replay_worker: the worker's enrich() replaced by a lookup of precomputed events."""

from datetime import datetime, timezone

from bench.replay_worker import replaying
from service.decode import decode
from service.model import InputPosition
from service.pipeline import Context, enrich


def test_known_articles_are_looked_up_and_others_enriched():
    known = decode(b'{"id": "a-1", "body": "Reuters reported the talks in Geneva on Monday."}')
    other = decode(b'{"id": "a-2", "body": "Reuters reported the talks in Geneva on Monday."}')
    precomputed = enrich(known, Context(received_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    replay = replaying({"a-1": precomputed})
    now = Context.now(position=InputPosition("raw", 3, 41, None))
    replayed = replay(known, now)
    # the precomputed event, with this message's own times and position
    assert replayed["entities"] == precomputed["entities"] and replayed["dates"] == precomputed["dates"]
    assert replayed["received_at"] == now.received_at.isoformat(timespec="milliseconds")
    assert replayed["processed_at"] >= replayed["received_at"] > precomputed["received_at"]
    assert (replayed["input"]["topic"], replayed["input"]["partition"], replayed["input"]["offset"]) == ("raw", 3, 41)
    assert precomputed["input"]["offset"] is None  # the stored event is not changed
    fallback = replay(other, Context.now())
    assert fallback["article_id"] == "a-2"
    assert fallback["entities"] == enrich(other, Context.now())["entities"]
