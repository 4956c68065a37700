"""Generations of cached reads: a number in the cache that a write moves on, and that a
reader puts in its cache keys, so everything cached before the write is simply never read
again (and expires on its own). A write in a low layer (a person deactivated in
people.services) can outdate a read composed in a higher one (the side cards in discovery)
without importing it."""

from __future__ import annotations

from django.core.cache import cache

# The side cards of Home (discovery.suggestions).
SIDE_CARDS = "side-cards"


def current(name: str) -> int:
    return cache.get(f"generation:{name}") or 0


def move_on(name: str) -> None:
    key = f"generation:{name}"
    try:
        cache.incr(key)
    except ValueError:
        # Not there yet (or evicted): any number not used before will do.
        cache.set(key, current(name) + 1, None)
