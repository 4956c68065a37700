"""The CSV import at 10,000 rows (issue 13: under a minute). Run by hand, never by
`make test`, against any database with the schema (the bench data of bench/feed.py is fine:
its 10,000 people make the "who is here already" lookup real):

    DATABASE_URL=postgres://.../esn_bench python bench/import_people.py [--rows 10000]

Reads a generated file, checks every row, saves (creates half, updates the other half on a
second pass) and builds the invitation emails (Django's in-memory mail backend: the time to
hand them to a real SMTP server is the server's). Everything is rolled back afterwards.
Prints the seconds of each step and the queries.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402


class RollbackError(Exception):
    """Raised on purpose: the benchmark leaves the database as it found it."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from people import importing
    from people.models import Department, Location

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    header = ",".join(importing.COLUMNS) + "\n"
    try:
        with transaction.atomic():
            dept, _ = Department.objects.get_or_create(name="Bench import")
            loc, _ = Location.objects.get_or_create(name="Bench city")
            lines = [
                f"import{n:05d}@bench.example,First{n},Last{n},{dept.name},{loc.name},"
                f"Title {n % 40},no,,\n"
                for n in range(rows)
            ]
            text = header + "".join(lines)
            for label in ("first import (all new)", "second import (all updates)"):
                with CaptureQueriesContext(connection) as queries:
                    t0 = time.perf_counter()
                    preview = importing.check(importing.read(text))
                    t1 = time.perf_counter()
                    created, updated = importing.apply(preview)
                    t2 = time.perf_counter()
                    sent = importing.invite(created)
                    t3 = time.perf_counter()
                print(
                    f"{label:30} {rows} rows: read+check {t1 - t0:5.1f} s, save {t2 - t1:5.1f} s, "
                    f"{sent} invitations {t3 - t2:5.1f} s, total {t3 - t0:5.1f} s, "
                    f"{len(queries.captured_queries)} queries "
                    f"({len(created)} created, {len(updated)} updated, {len(preview.bad)} bad)"
                )
            raise RollbackError
    except RollbackError:
        print("rolled back: the database is as it was")


if __name__ == "__main__":
    main()
