"""A rule is written once and read three ways.

Each access rule (who may see a post, a group, a person) is a small tree of terms. From the
one tree come:

- `q(viewer, prefix)`: a Django `Q` on the row (or, with a prefix such as "post__", on the
  row a relation points at), for querysets and joins;
- `holds(viewer, obj)`: the per-object check, on facts the viewer has loaded (`Viewer.ties`),
  so a batch of objects costs no query per object;
- `sql(alias, facts)`: a SQL fragment for the hand-tuned feed and digest queries, with the
  viewer's facts referenced as `facts` says (a bound parameter, or a column of a per-person
  record).

tests/access/test_agreement.py builds random worlds and checks that the three readings agree
for every kind of viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q

if TYPE_CHECKING:
    from access.viewer import Viewer


@dataclass(frozen=True)
class SqlFacts:
    """How a SQL fragment names the viewer's facts: `member_groups` and `blocked` are
    `bigint[]` expressions, `user` a `bigint` one."""

    member_groups: str = "%(member_groups)s::bigint[]"
    blocked: str = "%(blocked)s::bigint[]"
    user: str = "%(user)s"


class Rule:
    def q(self, viewer: Viewer, prefix: str = "") -> Q:
        raise NotImplementedError

    def holds(self, viewer: Viewer, obj: Any) -> bool:
        raise NotImplementedError

    def sql(self, alias: str, facts: SqlFacts) -> str:
        raise NotImplementedError

    def __and__(self, other: Rule) -> Rule:
        return every(self, other)

    def __or__(self, other: Rule) -> Rule:
        return either(self, other)


class _Everything(Rule):
    def q(self, viewer: Viewer, prefix: str = "") -> Q:
        return Q()

    def holds(self, viewer: Viewer, obj: Any) -> bool:
        return True

    def sql(self, alias: str, facts: SqlFacts) -> str:
        return "true"


class _Nothing(Rule):
    def q(self, viewer: Viewer, prefix: str = "") -> Q:
        return Q(**{f"{prefix}pk__in": []})

    def holds(self, viewer: Viewer, obj: Any) -> bool:
        return False

    def sql(self, alias: str, facts: SqlFacts) -> str:
        return "false"


EVERYTHING: Rule = _Everything()
NOTHING: Rule = _Nothing()


@dataclass(frozen=True, eq=False)
class _All(Rule):
    parts: tuple[Rule, ...]

    def q(self, viewer: Viewer, prefix: str = "") -> Q:
        result = Q()
        for part in self.parts:
            result &= part.q(viewer, prefix)
        return result

    def holds(self, viewer: Viewer, obj: Any) -> bool:
        return all(part.holds(viewer, obj) for part in self.parts)

    def sql(self, alias: str, facts: SqlFacts) -> str:
        return "(" + " AND ".join(part.sql(alias, facts) for part in self.parts) + ")"


@dataclass(frozen=True, eq=False)
class _Any(Rule):
    parts: tuple[Rule, ...]

    def q(self, viewer: Viewer, prefix: str = "") -> Q:
        result = self.parts[0].q(viewer, prefix)
        for part in self.parts[1:]:
            result |= part.q(viewer, prefix)
        return result

    def holds(self, viewer: Viewer, obj: Any) -> bool:
        return any(part.holds(viewer, obj) for part in self.parts)

    def sql(self, alias: str, facts: SqlFacts) -> str:
        return "(" + " OR ".join(part.sql(alias, facts) for part in self.parts) + ")"


def every(*rules: Rule) -> Rule:
    """All of `rules` (EVERYTHING drops out; NOTHING wins)."""
    parts = [r for r in rules if r is not EVERYTHING]
    if any(r is NOTHING for r in parts):
        return NOTHING
    if not parts:
        return EVERYTHING
    return parts[0] if len(parts) == 1 else _All(tuple(parts))


def either(*rules: Rule) -> Rule:
    """One of `rules` (NOTHING drops out; EVERYTHING wins)."""
    parts = [r for r in rules if r is not NOTHING]
    if any(r is EVERYTHING for r in parts):
        return EVERYTHING
    if not parts:
        return NOTHING
    return parts[0] if len(parts) == 1 else _Any(tuple(parts))


@dataclass(frozen=True, eq=False)
class Term(Rule):
    """One condition, spelled once in each of the three languages."""

    name: str
    to_q: Callable[[Viewer, str], Q]
    test: Callable[[Viewer, Any], bool]
    to_sql: Callable[[str, SqlFacts], str] | None = None

    def q(self, viewer: Viewer, prefix: str = "") -> Q:
        return self.to_q(viewer, prefix)

    def holds(self, viewer: Viewer, obj: Any) -> bool:
        return self.test(viewer, obj)

    def sql(self, alias: str, facts: SqlFacts) -> str:
        if self.to_sql is None:
            raise NotImplementedError(f"{self.name} has no SQL form")
        return self.to_sql(alias, facts)


@dataclass(frozen=True, eq=False)
class Via(Rule):
    """`rule` applied to the object a relation points at (a comment's post)."""

    field: str
    rule: Rule

    def q(self, viewer: Viewer, prefix: str = "") -> Q:
        return self.rule.q(viewer, f"{prefix}{self.field}__")

    def holds(self, viewer: Viewer, obj: Any) -> bool:
        return self.rule.holds(viewer, getattr(obj, self.field))

    def sql(self, alias: str, facts: SqlFacts) -> str:
        raise NotImplementedError("a relation has no SQL form here")
