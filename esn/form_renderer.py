"""Django's form renderer, with the few widget templates every page uses written out in
Python (settings.FORM_RENDERER).

Rendering a field runs two or three small templates (the widget, its attributes, each option
of a select): the search form's group list alone cost milliseconds per page, and Home's
composer and a post page's comment form paid the same per field (bench/README.md, issue 16).
`render` gives exactly the markup of Django's own templates for an input, a textarea or a
select without named option groups; anything else, or a value whose template output would
depend on localisation, is left to the templates. tests/esn/test_form_renderer.py renders
the site's forms and a set of edge cases both ways and compares them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe

INPUT = "django/forms/widgets/input.html"
# Widget templates that are only {% include "django/forms/widgets/input.html" %}.
INPUT_ALIASES = {
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "email",
        "url",
        "number",
        "password",
        "hidden",
        "search",
        "tel",
        "date",
        "datetime",
        "time",
        "checkbox",
        "color",
    )
}
TEXTAREA = "django/forms/widgets/textarea.html"
SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


class _NeedsTemplateError(Exception):
    """A value whose rendering by the template is not plain text: let the template do it."""


def _text(value: Any) -> str:
    """`{{ value }}` for text: escaped unless already safe. Anything else (a number, a date)
    would be localised by the template, so it goes back to the template."""
    if isinstance(value, SafeData):
        return str(value)
    if isinstance(value, str | Promise):
        return escape(value)
    raise _NeedsTemplateError


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: "%s" % value (never localised), escaped unless the
    value was safe."""
    if isinstance(value, tuple):
        raise _NeedsTemplateError  # the filter formats a tuple's items, or gives ""
    text = "%s" % (value,)  # noqa: UP031 - the filter's own formatting
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}")
        if value is not True:
            out.append(f'="{_formatted(value)}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>"
    )


def _option(option: dict[str, Any]) -> str:
    if option.get("template_name") != OPTION:
        raise _NeedsTemplateError
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>"
    )


def _select(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            raise _NeedsTemplateError  # named option groups: not used by our forms
        # Each option's template ends with a newline, which {% include %} keeps.
        parts.extend(f"\n  {_option(option)}\n" for option in options)
    parts.append("\n</select>")
    return "".join(parts)


FAST: dict[str, Callable[[dict[str, Any]], str]] = {
    **{name: _input for name in INPUT_ALIASES},
    TEXTAREA: _textarea,
    SELECT: _select,
}


class FastWidgetRenderer(DjangoTemplates):
    """DjangoTemplates, with the common widgets rendered in Python."""

    def render(self, template_name, context, request=None):
        fast = FAST.get(template_name)
        widget = context.get("widget") if fast is not None else None
        if widget is not None and widget.get("template_name") == template_name:
            try:
                return mark_safe(fast(widget))  # noqa: S308 - every piece escaped above
            except _NeedsTemplateError:
                pass
        return super().render(template_name, context, request=request)
