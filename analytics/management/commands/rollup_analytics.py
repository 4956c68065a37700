"""Backfill or re-run the community-health roll-up for a range of days:

manage.py rollup_analytics                      # yesterday (and its week and month)
manage.py rollup_analytics --from 2026-01-01 --to 2026-11-29
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics import rollup


class Command(BaseCommand):
    help = "Compute the community-health figures for a range of days (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="first", help="first day, YYYY-MM-DD (default: yesterday)"
        )
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args, first=None, last=None, **options):
        yesterday = timezone.localdate() - timedelta(days=1)
        try:
            first_day = date.fromisoformat(first) if first else yesterday
            last_day = date.fromisoformat(last) if last else max(first_day, yesterday)
        except ValueError as error:
            raise CommandError(f"Days are written YYYY-MM-DD: {error}") from error
        if last_day < first_day:
            raise CommandError("--to is before --from.")
        if last_day > yesterday:
            raise CommandError(
                "Only finished days can be counted: --to must be yesterday or earlier."
            )
        began = time.monotonic()
        written = rollup.roll_up_range(first_day, last_day)
        self.stdout.write(
            f"{written} figures for {first_day} to {last_day} in {time.monotonic() - began:.1f} s"
        )
