from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from digests import planning, tasks
from people.models import User


class Command(BaseCommand):
    help = (
        "Send digests. Without options: plan the digests due now and hand them to the "
        "Celery workers (what beat does every few minutes). With --now: build and send a "
        "digest right away in this process, for everyone or for --user."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="send at once, whatever the schedule says"
        )
        parser.add_argument(
            "--user", action="append", default=[], metavar="USERNAME", help="only this person"
        )

    def handle(self, *args, now: bool, user: list[str], **options):
        ids = None
        if user:
            found = dict(User.objects.filter(username__in=user).values_list("username", "pk"))
            missing = sorted(set(user) - set(found))
            if missing:
                raise CommandError(f"No such user: {', '.join(missing)}")
            ids = list(found.values())
        if now:
            result = planning.send_now(user_ids=ids)
            self.stdout.write(
                f"{result.sent} digest(s) sent, {result.empty} with nothing new, "
                f"{result.skipped} skipped (off, deactivated or no email address)."
            )
            if result.empty:
                self.stdout.write(
                    "Nothing new: no post from what they follow since their last digest or "
                    "their last visit to the site (what they could already see there is not "
                    "mailed again)."
                )
            return
        result = planning.plan(only_user_ids=ids, enqueue=tasks.send_digest_chunk.delay)
        if result.locked_out:
            self.stdout.write("Another planner is running; nothing to do.")
            return
        self.stdout.write(
            f"{result.planned} digest(s) due, {result.enqueued} handed to the workers "
            f"in {result.chunks} chunk(s)."
        )
        if result.enqueue_failed:
            raise CommandError(
                "The broker (Redis) could not be reached; the next planner run will retry."
            )
