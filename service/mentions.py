"""Derived records for dashboards: one `entities.mentions` record per entity per article."""

from __future__ import annotations

import orjson

MENTION_SCHEMA = "entity-mention/1"


def mention_records(event: dict) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs keyed by entity id, in the order the entities appear in the event."""
    publisher = (event.get("source") or {}).get("publisher") or {}
    common = {
        "article_id": event["article_id"],
        "language": event["language"]["code"],
        "publisher": publisher.get("id") or publisher.get("name"),
        "published_at": event["published_at"]["value"],
    }
    out = []
    for entity in event.get("entities", []):
        value = {
            "schema": MENTION_SCHEMA,
            "id": entity["id"],
            "type": entity["type"],
            "name": entity["name"],
            "mentions": len(entity.get("mentions", [])),
            "salience": entity.get("salience"),
            **common,
        }
        out.append((entity["id"].encode(), orjson.dumps(value)))
    return out
