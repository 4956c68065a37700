"""Small-number suppression: what keeps an aggregate from pointing at a person.

A figure is shown only when it covers at least k distinct people (`AnalyticsSettings.k`, 5 or
more). A figure that covers enough people is still hidden when it could be worked out from
figures that are shown: a parent and all of its children but one give the missing child by
subtraction, so when exactly one child of a shown parent is hidden, the smallest shown sibling
is hidden with it (and the check runs again, since a grid has rows and columns). Every page,
chart and CSV goes through here; nothing renders a raw count."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext as _

MINIMUM_K = 5


@dataclass
class Cell:
    """One figure: its value, and how many distinct people it rests on (None: not a figure
    about people, such as a median of hours, which takes its `people` from what it measures)."""

    value: float | None
    people: int | None = None
    hidden: bool = False
    # Why it is hidden: "small" (fewer than k people) or "complement" (subtraction would show it).
    reason: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return not self.hidden and self.value is not None


def apply_k(cells: Iterable[Cell], k: int) -> None:
    """Hide every figure that rests on fewer than k people."""
    for cell in cells:
        if not cell.hidden and cell.people is not None and cell.people < k:
            cell.hidden, cell.reason = True, "small"


def protect_partition(parent: Cell | None, children: Sequence[Cell]) -> bool:
    """Children that add up to `parent`: when exactly one is hidden and the parent is shown,
    hide the smallest shown sibling that is not zero too (hiding a zero protects nothing: a
    reader who sees the rest can assume it), or, failing that, the parent. Returns whether
    anything changed."""
    if parent is None or parent.hidden:
        return False
    hidden = [c for c in children if c.hidden]
    if len(hidden) != 1:
        return False
    candidates = [c for c in children if c.shown and c.value]
    if candidates:
        smallest = min(candidates, key=lambda c: c.value or 0)
        smallest.hidden, smallest.reason = True, "complement"
    else:
        parent.hidden, parent.reason = True, "complement"
    return True


def protect_grid(rows: Sequence[tuple[Cell | None, Sequence[Cell]]]) -> None:
    """Row totals with their cells, or column totals with theirs: repeat until no partition
    has a single hidden cell left (hiding a cell in a row may expose one in a column)."""
    changed = True
    while changed:
        changed = False
        for parent, children in rows:
            changed |= protect_partition(parent, children)


def share(part: Cell, whole: Cell, k: int) -> Cell:
    """part / whole as a fraction. Hidden when either side, or the rest (whole - part), rests
    on fewer than k people: a share of 100 % among 7 says something about all 7, and one of
    6/7 says the seventh did not."""
    if part.hidden or whole.hidden or not whole.value or part.value is None:
        return Cell(None, hidden=True, reason="small")
    rest_people = None
    if part.people is not None and whole.people is not None:
        rest_people = whole.people - part.people
    if any(p is not None and 0 < p < k for p in (part.people, whole.people, rest_people)):
        return Cell(None, hidden=True, reason="small")
    return Cell(part.value / whole.value, people=whole.people)


def shown_text(cell: Cell, k: int, *, percent: bool = False, hours: bool = False) -> str:
    """How a figure reads in a table or CSV: the number, or "fewer than k" when hidden."""
    if cell.value is None and not cell.hidden:
        return "–"
    if cell.hidden:
        if cell.reason == "complement":
            return _("hidden (could be worked out)")
        return _("fewer than %(k)s") % {"k": k}
    value = cell.value or 0
    if percent:
        return _("%(percent)s %%") % {"percent": number_format(round(value * 100))}
    if hours:
        return _("%(hours)s h") % {"hours": number_format(round(value / 3600, 1))}
    return number_format(round(value), force_grouping=True)
