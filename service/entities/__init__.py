"""Entity stage (filled in by the entities work): returns no entities yet."""

from __future__ import annotations

from ..document import Doc


def extract_entities(doc: Doc) -> list[dict]:
    return []
