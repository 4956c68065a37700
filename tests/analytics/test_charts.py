"""Server-rendered charts, their figure tables and CSV downloads (issue 15): the geometry, that a
hidden figure cannot be read back from anything rendered, and that the CSV is safe to open."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from analytics.charts import bar_chart, figures_table, nice_ceiling, share_bar
from analytics.csv import csv_response, neutralise
from analytics.privacy import Cell

K = 5


def weeks(*cells: Cell) -> list[tuple[str, Cell]]:
    return [(f"W{i + 1:02d}", cell) for i, cell in enumerate(cells)]


def render_pair(chart) -> str:
    return render_to_string(
        "analytics/_chart_with_table.html", {"chart": chart, "csv_url": "/analytics/x.csv"}
    )


# Geometry


@pytest.mark.parametrize(
    ("value", "nice"), [(0.3, 0.5), (1, 1), (3, 5), (7, 10), (11, 20), (23, 25), (420, 500)]
)
def test_nice_ceiling(value, nice):
    assert nice_ceiling(value) == pytest.approx(nice)


def test_axis_max_is_at_least_the_biggest_value_and_bars_stay_in_the_plot():
    for biggest in (1, 3, 7, 12, 37, 99, 101, 1234, 98765):
        chart = bar_chart(weeks(Cell(biggest, 50), Cell(biggest // 2, 50)), k=K)
        assert chart.axis_max >= biggest
        tallest = chart.bars[0]
        assert tallest.y >= chart.plot_top
        assert tallest.height == pytest.approx(
            biggest / chart.axis_max * chart.plot_height, abs=0.1
        )
        assert chart.bars[1].height < tallest.height


def test_a_bar_at_the_axis_max_reaches_the_top_of_the_plot():
    chart = bar_chart(weeks(Cell(40, 40), Cell(100, 100), Cell(0, 10)), k=K)
    assert chart.axis_max == 100
    assert chart.bars[1].y == chart.plot_top
    assert chart.bars[1].y + chart.bars[1].height == pytest.approx(chart.plot_bottom)
    assert chart.bars[2].height == 0
    # Ticks run from 0 at the baseline to the axis max at the top.
    assert chart.ticks[0].y == chart.plot_bottom and chart.ticks[-1].y == chart.plot_top


def test_percent_and_hours_are_scaled_in_their_display_units():
    shares = bar_chart(weeks(Cell(0.42, 50), Cell(0.1, 50)), k=K, percent=True)
    assert shares.axis_max == pytest.approx(0.5)
    assert shares.ticks[-1].text == "50 %"
    assert shares.bars[0].mark == "42 %"
    full = bar_chart(weeks(Cell(1.0, 50)), k=K, percent=True)
    assert full.axis_max == pytest.approx(1.0)

    hours = bar_chart(weeks(Cell(9000, 50), Cell(3600, 50)), k=K, hours=True)
    assert hours.axis_max == pytest.approx(9000)
    assert hours.ticks[-1].text == "2.5 h"
    assert hours.bars[0].mark == "2.5 h"


def test_no_figures_at_all_still_draws_an_axis():
    chart = bar_chart(weeks(Cell(None), Cell(None)), k=K)
    assert chart.axis_max > 0
    assert all(bar.empty and bar.height == 0 and bar.mark == "–" for bar in chart.bars)
    html = render_pair(chart)
    assert 'class="chart-bar"' not in html


def test_many_bars_rotate_their_marks_and_thin_out_their_labels():
    chart = bar_chart([(f"2025-W{i:02d}", Cell(1000 + i, 50)) for i in range(1, 53)], k=K)
    assert all(bar.mark_rotated for bar in chart.bars)
    # Room above the tallest bar for its upright mark.
    assert chart.plot_top >= len("1,052") * 7
    shown = [bar for bar in chart.bars if bar.show_label]
    assert 1 < len(shown) < 52
    assert chart.bars[-1].show_label  # the newest period keeps its label
    # Every period is still in the table.
    assert [row[0] for row in chart.table.rows] == [f"2025-W{i:02d}" for i in range(1, 53)]
    html = render_to_string("analytics/_figures_table.html", {"table": chart.table})
    assert 'tabindex="0"' in html and 'role="region"' in html


def test_bars_stay_inside_the_viewbox():
    chart = bar_chart([(f"Month {i}", Cell(i * 37, 50)) for i in range(1, 14)], k=K)
    for bar in chart.bars:
        assert chart.plot_left <= bar.x
        assert bar.x + bar.width <= chart.plot_right + 0.1
        assert 0 <= bar.y <= chart.height and bar.label_y <= chart.height


# Suppression


def hidden_series(hidden_value: float, people: int, reason: str = "small"):
    return weeks(
        Cell(120, 60),
        Cell(hidden_value, people, hidden=True, reason=reason),
        Cell(95, 40),
        Cell(None),
    )


def test_a_hidden_bar_has_a_fixed_height_and_a_mark_never_its_value():
    chart = bar_chart(hidden_series(4, 3), k=K)
    hidden = chart.bars[1]
    assert hidden.hidden and hidden.mark == "<5"
    assert hidden.text == "fewer than 5"
    assert hidden.height == bar_chart(hidden_series(1, 1), k=K).bars[1].height


@pytest.mark.parametrize("reason", ["small", "complement"])
def test_the_rendered_chart_and_table_do_not_depend_on_a_hidden_value(reason):
    # Whatever the hidden figure is, the page is byte for byte the same: nothing to read back.
    renders = {
        render_pair(bar_chart(hidden_series(value, people, reason), k=K, title="Posts per week"))
        for value, people in ((1, 1), (4, 3), (250, 3), (987654, 900))
    }
    assert len(renders) == 1


def test_a_big_hidden_value_appears_nowhere_even_when_it_would_top_the_axis():
    chart = bar_chart(hidden_series(987654, 900, "complement"), k=K, title="Posts per week")
    # The axis is scaled on shown figures only.
    assert chart.axis_max == 125
    html = render_pair(chart)
    for spelling in ("987654", "987,654", "987.654", "987 654"):
        assert spelling not in html
    assert "hidden (could be worked out)" in html


def test_the_table_says_fewer_than_5_and_the_chart_explains_the_hatching():
    html = render_pair(bar_chart(hidden_series(4, 3), k=K, title="Posts per week"))
    table = html[html.index("<table") :]
    assert "<td>fewer than 5</td>" in table
    assert "<td>120</td>" in table and "<td>–</td>" in table
    assert "<caption>Posts per week</caption>" in table
    assert '<th scope="row">W02</th>' in table
    assert "Hatched bars" in html
    # The "<5" mark is escaped text, and the hatched stub uses the chart's own pattern.
    assert "&lt;5</text>" in html
    chart_id = re.search(r'<pattern id="([\w-]+)-hatch"', html).group(1)
    assert f'fill="url(#{chart_id}-hatch)"' in html
    assert '/analytics/x.csv" download' in html


def test_the_svg_is_an_image_with_a_title_and_description():
    chart = bar_chart(weeks(Cell(10, 10), Cell(20, 20)), k=K, title="Active people")
    svg = render_to_string("analytics/_bar_chart.html", {"chart": chart})
    assert 'role="img"' in svg
    assert f'aria-labelledby="{chart.id}-title {chart.id}-desc"' in svg
    assert f'<title id="{chart.id}-title">Active people</title>' in svg
    desc = re.search(rf'<desc id="{chart.id}-desc">(.*?)</desc>', svg).group(1)
    assert "W01" in desc and "Highest: 20 (W02)" in desc
    assert 'viewBox="0 0 420 280"' in svg


def test_no_inline_styles_anywhere():
    chart = bar_chart(hidden_series(4, 3), k=K, title="Posts")
    rendered = render_pair(chart) + render_to_string(
        "analytics/_share_bar.html", {"share": share_bar(Cell(0.4, 20), k=K, label="Answered")}
    )
    assert "style=" not in rendered
    assert "<style" not in rendered


def test_coordinates_stay_unlocalised_in_dutch():
    chart = bar_chart(weeks(Cell(1234, 50), Cell(33, 50)), k=K, title="Berichten")
    with translation.override("nl"):
        svg = render_to_string("analytics/_bar_chart.html", {"chart": chart})
    for attribute in re.findall(r'\s(?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', svg):
        assert re.fullmatch(r"-?\d+(\.\d+)?", attribute), attribute


def test_two_charts_on_a_page_have_different_ids():
    a = bar_chart(weeks(Cell(1, 9)), k=K, title="Posts")
    b = bar_chart(weeks(Cell(1, 9)), k=K, title="Comments")
    assert a.id != b.id
    assert bar_chart(weeks(Cell(1, 9)), k=K, title="Posts", id="posts").id == "posts"


def test_share_bar_hides_the_value_of_a_hidden_share():
    shown = share_bar(Cell(0.42, 30), k=K, label="Answered")
    assert shown.fill_width == 42.0 and shown.text == "42 %"
    a = share_bar(Cell(0.1, 3, hidden=True, reason="small"), k=K, label="Answered")
    b = share_bar(Cell(0.9, 3, hidden=True, reason="small"), k=K, label="Answered")
    assert a == b and a.text == "fewer than 5"
    html = render_to_string("analytics/_share_bar.html", {"share": a})
    assert "fewer than 5" in html and 'aria-hidden="true"' in html


def test_figures_table_lines_up_several_series():
    posts = weeks(Cell(10, 10), Cell(3, 3, hidden=True, reason="small"))
    comments = weeks(Cell(30, 12), Cell(44, 20))
    table = figures_table("Activity", "Week", [("Posts", posts), ("Comments", comments)], k=K)
    assert table.header == ["Week", "Posts", "Comments"]
    assert table.rows == [["W01", "10", "30"], ["W02", "fewer than 5", "44"]]
    with pytest.raises(ValueError, match="other periods"):
        figures_table("x", "Week", [("a", posts), ("b", comments[:1])], k=K)


# CSV


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    body = response.content
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_a_bom_a_header_and_is_an_attachment():
    chart = bar_chart(hidden_series(4, 3), k=K, title="Posts per week")
    response = csv_response("posts-per-week.csv", chart.table.header, chart.table.rows)
    body, rows = read_csv(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="posts-per-week.csv"'
    assert body.startswith(b"\xef\xbb\xbf")
    assert rows[0] == ["Period", "Posts per week"]
    # The same suppression as the page: the rows are the table's strings.
    assert rows[1:] == [["W01", "120"], ["W02", "fewer than 5"], ["W03", "95"], ["W04", "–"]]


def test_csv_keeps_dutch_and_german_characters():
    response = csv_response(
        "afdelingen.csv", ["Afdeling", "Größe"], [["Coördinatie & Één", "1.234"]]
    )
    _body, rows = read_csv(response)
    assert rows == [["Afdeling", "Größe"], ["Coördinatie & Één", "1.234"]]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("-", "'-"),
        ("-3", "-3"),
        ("-0.25", "-0.25"),
        ("-1,234", "-1,234"),
        ("1,234", "1,234"),
        ("42 %", "42 %"),
        ("#hashtag", "#hashtag"),
    ],
)
def test_formula_injection_is_neutralised(cell, written):
    assert neutralise(cell) == written
    _body, rows = read_csv(csv_response("x.csv", ["#design", "=1+1"], [[cell]]))
    assert rows[0] == ["#design", "'=1+1"]
    assert rows[1] == [written]


def test_csv_filename_cannot_break_the_header():
    response = csv_response('a"b\r\nX-Evil: 1.csv', ["h"], [])
    assert response["Content-Disposition"] == 'attachment; filename="a-b--X-Evil--1.csv"'


def test_dense_charts_mark_only_bars_with_room_and_keep_labels_inside():
    points = [(f"2025-W{i:02d}", Cell(1000 + i, 50)) for i in range(1, 53)]
    points[20] = ("2025-W21", Cell(2, 2, hidden=True, reason="small"))
    chart = bar_chart(points, k=K)
    marked = [i for i, bar in enumerate(chart.bars) if bar.show_mark]
    assert 51 in marked and 1 < len(marked) < 52
    # Upright marks are a font's height wide: no two closer than that.
    slot = chart.bars[1].x - chart.bars[0].x
    assert all((b - a) * slot >= chart.font for a, b in zip(marked, marked[1:], strict=False))
    for bar in chart.bars:
        half = len(bar.label) * chart.font * 0.6 / 2
        assert bar.label_x - half >= -0.1 and bar.label_x + half <= chart.width + 0.1
    shown = [bar for bar in chart.bars if bar.show_label]
    for a, b in zip(shown, shown[1:], strict=False):
        assert (
            a.label_x + len(a.label) * chart.font * 0.3
            < b.label_x - len(b.label) * chart.font * 0.3
        )
