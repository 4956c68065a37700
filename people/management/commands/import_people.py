from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from people import importing


class Command(BaseCommand):
    help = (
        "Bring people in from a CSV file (columns: "
        + ", ".join(importing.COLUMNS)
        + "). Every line is checked first; nothing is saved while any line is wrong. Known "
        "email addresses are updated, new people are sent a link to choose their password."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, save and send nothing"
        )
        parser.add_argument(
            "--no-invite", action="store_true", help="save, but send no invitation emails"
        )

    def handle(self, *args, file: Path, dry_run: bool, no_invite: bool, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            preview = importing.check(importing.read(text))
        except importing.UnreadableFileError as exc:
            raise CommandError(str(exc)) from exc
        for row in preview.bad:
            self.stdout.write(f"line {row.line}: {' '.join(row.errors)}")
        summary = (
            f"{len(preview.new)} new, {len(preview.updates)} to update, "
            f"{len(preview.bad)} with errors."
        )
        if preview.bad:
            raise CommandError(f"{summary} Nothing was saved: correct the lines above.")
        if dry_run:
            self.stdout.write(f"{summary} Dry run: nothing was saved.")
            return
        created, updated = importing.apply(preview)
        sent = 0 if no_invite else importing.invite(created)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(created)} people added, {len(updated)} updated, {sent} invitations sent."
            )
        )
