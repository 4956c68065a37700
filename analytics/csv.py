"""CSV downloads of analytics figures.

The rows arrive as the strings the page shows (`shown_text`, through
`analytics.charts.FiguresTable`), so the download applies exactly the page's suppression; this
module never sees a Cell. It only makes the file safe and pleasant to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re

from django.http import HttpResponse

# A cell a spreadsheet would read as a formula (or, for tab and CR, one that some spreadsheets
# strip down to a formula): OWASP's list for CSV injection.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Plain numbers stay numbers, so "-3" and "-0.25" still add up in the spreadsheet.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*")


def neutralise(value: str) -> str:
    """Prefix a leading apostrophe to anything a spreadsheet could execute."""
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows: list[list[str]]) -> HttpResponse:
    """`filename` is ours (e.g. "posts-per-week.csv"), never a user's text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in header])
    writer.writerows([neutralise(str(c)) for c in row] for row in rows)
    # The byte-order mark is how Excel knows the file is UTF-8 ("Één", "Größe" intact).
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "-", filename) or "figures.csv"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
