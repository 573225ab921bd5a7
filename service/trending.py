"""entities.trending: counts per entity per tumbling window, from the mentions topic.

Filled in by the operations work; until then no windowed table is registered.
"""

from __future__ import annotations


def install_trending(app, settings, mentions_topic) -> None:
    return None
