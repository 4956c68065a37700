"""Generations of cached reads: a number in the cache that a write moves on, and that a
reader puts in its cache keys, so everything cached before the write is simply never read
again (and expires on its own). A write in a low layer (a person deactivated in
people.services) can outdate a read composed in a higher one (the side cards in discovery)
without importing it."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

# What anyone may see of posts, comments, groups and people: moved on by a change to any of
# them (esn/apps.py), so what is kept from it is read again (Home's side cards in
# discovery.suggestions, the inbox badge in digests.selectors).
VISIBLE = "visible"

# Who holds which permission (people.backends.AccountBackend keeps each person's): moved on by
# any grant or withdrawal, to a person or a permission group, and by a membership of one.
PERMISSIONS = "permissions"


def inbox_of(user_id: int) -> str:
    """The rows addressed to one person: moved on by every write to them."""
    return f"inbox:{int(user_id)}"


def current(name: str) -> int:
    return cache.get(f"generation:{name}") or 0


def current_many(names: list[str]) -> dict[str, int]:
    """Several generations in one round trip to the cache."""
    found = cache.get_many([f"generation:{name}" for name in names])
    return {name: found.get(f"generation:{name}") or 0 for name in names}


def forget_inboxes(user_ids: Iterable[int]) -> None:
    """After a write to these people's inbox rows that did not go through `save()` (an
    `update()`): their badges are counted again once it commits."""
    names = [inbox_of(user_id) for user_id in set(user_ids)]
    move_on_after_commit(*names)


def move_on_after_commit(*names: str) -> None:
    """Moved on now and again when the transaction commits: a reader between the write and
    the commit still counts the old rows and may store them under the number moved on now;
    the second move makes sure nobody reads that."""

    def moved() -> None:
        for name in names:
            move_on(name)

    moved()
    transaction.on_commit(moved)


def move_on(name: str) -> None:
    key = f"generation:{name}"
    try:
        cache.incr(key)
    except ValueError:
        # Not there yet (or evicted): any number not used before will do.
        cache.set(key, current(name) + 1, None)
