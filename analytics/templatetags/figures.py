from django import template

from analytics.privacy import Cell, shown_text

register = template.Library()


@register.filter
def figure(cell: Cell, k: int) -> str:
    """A suppressed figure as a page shows it: the number, or "fewer than k"."""
    return shown_text(cell, k)


@register.filter
def percent(cell: Cell, k: int) -> str:
    return shown_text(cell, k, percent=True)
