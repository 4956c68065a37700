"""The geometry of the analytics charts, worked out here so the templates only place shapes.

Charts are inline SVG drawn on the server (no script, no CDN, no build). Everything is in a
fixed viewBox, so one chart scales to any width, a 390 px phone included. A figure that is
hidden by `analytics.privacy` is drawn as an outlined, hatched stub of a fixed height with a
"<5" mark: its geometry never depends on its value, and the value is never written anywhere,
so it cannot be read back from the SVG. The axis is scaled on shown figures only, for the same
reason.

Coordinates are rounded floats; the templates print them inside {% localize off %} so a Dutch
or German page does not write "12,5" into an SVG attribute."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from analytics.privacy import Cell, shown_text

# One period and its figure: ("2025-W14", Cell(...)). A chart, a table and a CSV take these.
Series = Sequence[tuple[str, Cell]]

WIDTH = 420
HEIGHT = 280
FONT = 13
# Rough advance of one character of the system UI font at FONT, in viewBox units; only used to
# keep labels from overlapping, so erring wide is fine.
CHAR = FONT * 0.6
HIDDEN_HEIGHT = 14
PAD = 6
MAX_TICKS = 5


@dataclass(frozen=True)
class Bar:
    label: str  # the period, as the table has it
    text: str  # the figure, as shown_text gives it (also the tooltip)
    x: float
    width: float
    y: float
    height: float
    hidden: bool
    empty: bool  # no figure for this period (not hidden, just nothing): no bar
    mark: str  # what is written on top of the bar: the figure, "<5", or "–"
    mark_x: float
    mark_y: float
    mark_rotated: bool  # value marks run upwards when the bars are too narrow for them
    # Even upright, a mark needs a font's height of room: with many narrow bars only every
    # n-th bar (and a hidden bar with room) is marked; the table beside has every figure.
    show_mark: bool
    label_x: float
    label_y: float
    show_label: bool  # with many bars only every n-th period label fits under the axis


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class FiguresTable:
    """What `_figures_table.html` renders and `analytics.csv.csv_response` writes: already
    suppressed strings only, so the page and the download cannot disagree."""

    caption: str
    header: list[str]
    rows: list[list[str]]

    @property
    def html(self) -> SafeString:
        return table_html(self)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    axis_max: float
    bars: list[Bar]
    ticks: list[Tick]
    font: int
    k: int
    has_hidden: bool
    hidden_note: str
    table: FiguresTable = field(repr=False)

    @property
    def plot_height(self) -> float:
        return self.plot_bottom - self.plot_top

    @property
    def svg(self) -> SafeString:
        return svg(self)


def _r(value: float) -> float:
    return round(value, 1)


def _text_width(text: str) -> float:
    return len(text) * CHAR


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value`."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _axis(biggest: float, minimum_step: float) -> tuple[float, float]:
    """(axis max, tick step) in display units: a nice step, at most MAX_TICKS of them above
    zero, the axis ending on the first step at or above the biggest value."""
    biggest = max(biggest, minimum_step)
    step = max(nice_ceiling(biggest / MAX_TICKS), minimum_step)
    ticks = math.ceil(biggest / step - 1e-9)
    return ticks * step, step


def _marker(cell: Cell, k: int) -> str:
    if cell.hidden:
        # "<5" is a plain statement for small figures; a complement cell may cover many people,
        # so it gets a neutral mark, and the table says why.
        return _("<%(k)s") % {"k": k} if cell.reason != "complement" else "*"
    return ""


def _chart_id(title: str, points: Series) -> str:
    # Stable across renders (the same chart gets the same ids), different for different
    # charts on one page; the lead may pass `id=` where two charts could be identical.
    seed = title + "|" + "|".join(label for label, _cell in points)
    return "chart-" + hashlib.blake2s(seed.encode(), digest_size=4).hexdigest()


def bar_chart(
    points: Series,
    *,
    k: int,
    percent: bool = False,
    hours: bool = False,
    title: str = "",
    description: str = "",
    id: str = "",
    period_heading: str = "",
    value_heading: str = "",
) -> Chart:
    """A vertical bar chart of `points`, one bar per period, in the order given.

    `percent`: values are fractions (0.42), shown as "42 %" and scaled to at most 100 %.
    `hours`: values are seconds, shown and scaled in hours. Other values are counts."""
    points = list(points)
    fmt = {"percent": percent, "hours": hours}
    unit = 0.01 if percent else 3600.0 if hours else 1.0
    minimum_step = 0.1 if hours else 1.0

    shown = [cell.value / unit for _label, cell in points if cell.shown and cell.value]
    axis_units, step_units = _axis(max(shown, default=0.0), minimum_step)
    if percent:
        axis_units = min(axis_units, 100.0)
    axis_max = axis_units * unit

    def text_of(value_units: float) -> str:
        return shown_text(Cell(value_units * unit), k, **fmt)

    texts = [shown_text(cell, k, **fmt) for _label, cell in points]
    tick_values = [i * step_units for i in range(round(axis_units / step_units) + 1)]
    tick_texts = [text_of(v) for v in tick_values]

    count = max(len(points), 1)
    left = PAD + max((_text_width(t) for t in tick_texts), default=0) + PAD
    right = WIDTH - PAD
    slot = (right - left) / count
    bar_width = slot * 0.7

    marks = [
        _marker(cell, k) or ("–" if cell.value is None else text)
        for (_label, cell), text in zip(points, texts, strict=True)
    ]
    widest_mark = max((_text_width(m) for m in marks), default=0)
    rotated = widest_mark > slot - 2
    top = PAD + (widest_mark if rotated else FONT) + PAD

    labels = [label for label, _cell in points]
    widest_label = max((_text_width(label) for label in labels), default=0)
    label_every = max(1, math.ceil((widest_label + PAD) / slot))
    label_xs = []
    for i, label in enumerate(labels):
        # A label wider than its slot stays inside the picture at either end.
        half = _text_width(label) / 2
        label_xs.append(min(max(left + (i + 0.5) * slot, half), WIDTH - half))
    # Every n-th label from the newest backwards, skipping one that would touch the last
    # one placed (the end labels are pushed inwards, which can bring them too close).
    labelled = [False] * len(labels)
    edge = math.inf
    for i in range(len(labels) - 1, -1, -1):
        half = _text_width(labels[i]) / 2
        if (count - 1 - i) % label_every == 0 and label_xs[i] + half + PAD <= edge:
            labelled[i], edge = True, label_xs[i] - half
    mark_every = max(1, math.ceil((FONT + 2) / slot)) if rotated else 1
    # Counting from the last period keeps the newest figure marked.
    marked = [(count - 1 - i) % mark_every == 0 for i in range(len(points))]
    for i, (_label, cell) in enumerate(points):
        near = marked[max(i - mark_every + 1, 0) : i + mark_every]
        if cell.hidden and not any(near):
            marked[i] = True
    bottom = HEIGHT - PAD - FONT - PAD
    plot_height = bottom - top

    bars = []
    for i, ((label, cell), text, mark) in enumerate(zip(points, texts, marks, strict=True)):
        x = left + i * slot + (slot - bar_width) / 2
        if cell.hidden:
            height = float(HIDDEN_HEIGHT)
        elif cell.value is None or not axis_max:
            height = 0.0
        else:
            height = min(max(cell.value, 0) / axis_max, 1.0) * plot_height
        y = bottom - height
        centre = x + bar_width / 2
        bars.append(
            Bar(
                label=label,
                text=text,
                x=_r(x),
                width=_r(bar_width),
                y=_r(y),
                height=_r(height),
                hidden=cell.hidden,
                empty=cell.value is None and not cell.hidden,
                mark=mark,
                # Rotated marks are anchored at their start, just above the bar, and run up;
                # level marks sit centred on the bar's top with a little air.
                mark_x=_r(centre + FONT / 3 if rotated else centre),
                mark_y=_r(y - 4),
                mark_rotated=rotated,
                show_mark=marked[i],
                label_x=_r(label_xs[i]),
                label_y=_r(bottom + PAD + FONT),
                show_label=labelled[i],
            )
        )

    ticks = [
        Tick(
            x=_r(left - PAD),
            y=_r(bottom - (v / axis_units) * plot_height if axis_units else bottom),
            text=t,
        )
        for v, t in zip(tick_values, tick_texts, strict=True)
    ]

    has_hidden = any(cell.hidden for _label, cell in points)
    hidden_note = (
        _(
            "Hatched bars are figures hidden so that no group of fewer than %(k)s people "
            "can be singled out; the table says why."
        )
        % {"k": k}
        if has_hidden
        else ""
    )
    if not description:
        description = _describe(points, texts, has_hidden, hidden_note)

    table = FiguresTable(
        caption=title,
        header=[period_heading or _("Period"), value_heading or title or _("Figure")],
        rows=[[label, text] for (label, _cell), text in zip(points, texts, strict=True)],
    )
    return Chart(
        id=id or _chart_id(title, points),
        title=title,
        description=description,
        width=WIDTH,
        height=HEIGHT,
        plot_left=_r(left),
        plot_right=_r(right),
        plot_top=_r(top),
        plot_bottom=_r(bottom),
        axis_max=axis_max,
        bars=bars,
        ticks=ticks,
        font=FONT,
        k=k,
        has_hidden=has_hidden,
        hidden_note=hidden_note,
        table=table,
    )


def _describe(points: Series, texts: list[str], has_hidden: bool, hidden_note: str) -> str:
    """A sentence for screen readers: the range and the highest shown figure. Built from the
    shown texts only, never from a hidden value."""
    if not points:
        return _("No figures for this period.")
    shown = [
        (cell.value, label, text)
        for (label, cell), text in zip(points, texts, strict=True)
        if cell.shown
    ]
    parts = [
        _("Bar chart from %(first)s to %(last)s.") % {"first": points[0][0], "last": points[-1][0]}
    ]
    if shown:
        _value, label, text = max(shown, key=lambda s: s[0] or 0)
        parts.append(_("Highest: %(text)s (%(label)s).") % {"text": text, "label": label})
    if has_hidden:
        parts.append(hidden_note)
    parts.append(_("The figures are in the table beside the chart."))
    return " ".join(parts)


def figures_table(
    caption: str,
    period_heading: str,
    columns: Sequence[tuple[str, Series]],
    *,
    k: int,
    percent: bool = False,
    hours: bool = False,
) -> FiguresTable:
    """Several series over the same periods as one table (and CSV): one row per period, one
    column per series. Every series must list the same periods in the same order."""
    if not columns:
        return FiguresTable(caption=caption, header=[period_heading], rows=[])
    periods = [label for label, _cell in columns[0][1]]
    for heading, series in columns:
        if [label for label, _cell in series] != periods:
            raise ValueError(f"column {heading!r} has other periods than the first")
    rows = [
        [
            period,
            *(shown_text(series[i][1], k, percent=percent, hours=hours) for _h, series in columns),
        ]
        for i, period in enumerate(periods)
    ]
    return FiguresTable(
        caption=caption, header=[period_heading, *(h for h, _s in columns)], rows=rows
    )


@dataclass(frozen=True)
class ShareBar:
    """One share (answer rate, readers-only share) as a horizontal bar from 0 to 100 %."""

    label: str
    text: str
    hidden: bool
    empty: bool
    fill_width: float  # in percent of the track; a fixed stub when hidden
    mark: str


SHARE_HIDDEN_WIDTH = 6.0


def share_bar(cell: Cell, *, k: int, label: str = "") -> ShareBar:
    """`cell.value` is a fraction (as `privacy.share` gives it)."""
    text = shown_text(cell, k, percent=True)
    if cell.hidden:
        width = SHARE_HIDDEN_WIDTH
    elif cell.value is None:
        width = 0.0
    else:
        width = _r(min(max(cell.value, 0.0), 1.0) * 100)
    return ShareBar(
        label=label,
        text=text,
        hidden=cell.hidden,
        empty=cell.value is None and not cell.hidden,
        fill_width=width,
        mark=_marker(cell, k) or text,
    )


# --- markup ----------------------------------------------------------------------------------
# Written here rather than in a template: a page of days holds fourteen charts of thirty bars
# and their tables, and template loops made up most of its first rendering (bench/README).
# Every text goes through format_html (escaped); numbers are plain Python floats, never
# localised (a Dutch "12,5" would break the coordinates).

_HATCH = (
    '<defs><pattern id="{id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
    'patternTransform="rotate(45)"><rect class="chart-hatch-bg" width="6" height="6" '
    'fill="#ffffff"/><line class="chart-hatch-line" x1="0" y1="0" x2="0" y2="6" '
    'stroke="#5a6475" stroke-width="2"/></pattern></defs>'
)


def _bar_markup(chart: Chart, bar: Bar) -> str:
    parts = [format_html("<g><title>{}: {}</title>", bar.label, bar.text)]
    if bar.hidden:
        parts.append(
            format_html(
                '<rect class="chart-bar-hidden" x="{}" y="{}" width="{}" height="{}" '
                'fill="url(#{}-hatch)" stroke="#1c2330" stroke-width="1.5" '
                'stroke-dasharray="3 2"/>',
                bar.x,
                bar.y,
                bar.width,
                bar.height,
                chart.id,
            )
        )
    elif not bar.empty and bar.height:
        parts.append(
            format_html(
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="#2456c9"/>',
                bar.x,
                bar.y,
                bar.width,
                bar.height,
            )
        )
    if bar.show_mark:
        if bar.mark_rotated:
            turn = format_html(
                ' text-anchor="start" transform="rotate(-90 {} {})"', bar.mark_x, bar.mark_y
            )
        else:
            turn = mark_safe(' text-anchor="middle"')  # noqa: S308 (a constant)
        parts.append(
            format_html(
                '<text class="chart-mark" x="{}" y="{}"{} fill="#1c2330">{}</text>',
                bar.mark_x,
                bar.mark_y,
                turn,
                bar.mark,
            )
        )
    if bar.show_label:
        parts.append(
            format_html(
                '<text class="chart-label" x="{}" y="{}" text-anchor="middle" '
                'fill="#5a6475">{}</text>',
                bar.label_x,
                bar.label_y,
                bar.label,
            )
        )
    parts.append("</g>")
    return "".join(parts)


def svg(chart: Chart) -> SafeString:
    """The chart as inline SVG: role img, labelled by its title and description; hidden
    figures are a hatched stub with their mark, never their value."""
    ticks = "".join(
        format_html(
            '<line class="chart-gridline" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d9dee7" '
            'stroke-width="1"/><text class="chart-tick" x="{}" y="{}" dy="0.35em" '
            'text-anchor="end" fill="#5a6475">{}</text>',
            chart.plot_left,
            chart.plot_right,
            tick.y,
            tick.y,
            tick.x,
            tick.y,
            tick.text,
        )
        for tick in chart.ticks
    )
    head = format_html(
        '<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'role="img" aria-labelledby="{}-title {}-desc" font-family="system-ui, -apple-system, '
        '\'Segoe UI\', Roboto, Arial, sans-serif" font-size="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        chart.width,
        chart.height,
        chart.id,
        chart.id,
        chart.font,
        chart.id,
        chart.title,
        chart.id,
        chart.description,
    )
    hatch = format_html(_HATCH.replace("{id}", "{}"), chart.id) if chart.has_hidden else ""
    bars = "".join(_bar_markup(chart, bar) for bar in chart.bars)
    base = format_html(
        '<line class="chart-baseline" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#1c2330" '
        'stroke-width="1"/></svg>',
        chart.plot_left,
        chart.plot_right,
        chart.plot_bottom,
        chart.plot_bottom,
    )
    return mark_safe(  # noqa: S308 (every part above is format_html, its texts escaped)
        f'{head}{hatch}<g class="chart-axis">{ticks}</g><g class="chart-bars">{bars}</g>{base}'
    )


def table_html(table: FiguresTable) -> SafeString:
    """The figures beside a chart: the same strings the CSV download writes. A long table
    scrolls in its own box, which can take focus so keyboard users can scroll it too."""
    long = len(table.rows) > 12
    wrap = (
        format_html(
            '<div class="chart-table table-wrap chart-table-long" role="region" tabindex="0" '
            'aria-label="{}">',
            table.caption,
        )
        if long
        else mark_safe('<div class="chart-table table-wrap">')  # noqa: S308 (a constant)
    )
    caption = format_html("<caption>{}</caption>", table.caption) if table.caption else ""
    head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in table.header))
    if table.rows:
        body = "".join(
            format_html(
                '<tr><th scope="row">{}</th>{}</tr>',
                row[0],
                format_html_join("", "<td>{}</td>", ((text,) for text in row[1:])),
            )
            for row in table.rows
        )
    else:
        body = format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(table.header), _("No figures for this period.")
        )
    return mark_safe(  # noqa: S308 (built from format_html parts)
        f'{wrap}<table class="audit chart-figures">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )
