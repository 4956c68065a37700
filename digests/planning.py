"""Planning and sending digests (ARCHITECTURE.md rule 4).

The beat schedule runs `plan` every few minutes. It finds, in batches, the people whose
digest is due in their own calendar (daily: the send hour has passed today; weekly: the send
weekday and hour have passed this ISO week), writes one DigestRun per person and period
(unique), and enqueues chunks of run ids. A chunk claims its runs in the database before it
builds or sends anything, so:

- a task delivered twice, retried, or planned by a second beat process finds the runs
  already claimed or sent and does nothing;
- a worker killed mid-chunk leaves its unfinished runs "sending"; once the lease has passed,
  the next planner run enqueues them again and another chunk takes them over;
- if the broker is down, runs stay planned and not enqueued, and the next planner run enqueues
  them. Nothing in a user's request ever waits on the broker.

Each sent digest is marked in the ledger by a transaction committed right after its email
leaves: batching those marks would, after a crash, mail everyone in the batch a second time.
"""

from __future__ import annotations

import logging
import smtplib
import zoneinfo
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone

from access.actions import digest_recipients_q, receives_digests
from digests import emails
from digests.building import PERIOD_LENGTH, build_digests
from digests.models import DigestRun, Frequency, InboxItem, SiteSettings
from esn import counters
from people.models import User

log = logging.getLogger(__name__)
Status = DigestRun.Status

# pg_try_advisory_xact_lock key: "digests planner". Two planners at once cannot both plan.
PLANNER_LOCK = 0x64_69_67_65_73_74
PLAN_BATCH = 1000
MAX_ATTEMPTS = 5
_ONE_SECOND = timedelta(seconds=1)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def due_period(frequency: str, local: datetime, site: SiteSettings) -> str | None:
    """The period whose digest is due at local time `local`, or None if none is due yet."""
    if frequency == Frequency.DAILY:
        return local.date().isoformat() if local.hour >= site.send_hour else None
    if frequency == Frequency.WEEKLY:
        year, week, weekday = local.isocalendar()
        if (weekday - 1, local.hour) >= (site.send_weekday, site.send_hour):
            return f"{year}-W{week:02d}"
        return None
    return None


def _lease() -> timedelta:
    return timedelta(seconds=settings.DIGEST_CLAIM_LEASE_SECONDS)


@dataclass
class PlanResult:
    locked_out: bool = False
    planned: int = 0
    enqueued: int = 0
    chunks: int = 0
    enqueue_failed: bool = False


def _eligible_people(site: SiteSettings, today: date):
    return (
        User.objects.filter(digest_recipients_q(site, today))
        .values_list("pk", "digest_choice__frequency", "digest_choice__time_zone")
        .order_by("pk")
    )


def _plan_runs(now: datetime, site: SiteSettings, only_user_ids=None) -> int:
    """Write a planned run for everyone whose digest is due and not yet planned."""
    planned = 0
    last_pk = 0
    today = timezone.localdate(now)
    while True:
        people = _eligible_people(site, today).filter(pk__gt=last_pk)
        if only_user_ids is not None:
            people = people.filter(pk__in=only_user_ids)
        batch = list(people[:PLAN_BATCH])
        if not batch:
            return planned
        last_pk = batch[-1][0]
        due = {}
        for pk, chosen, zone in batch:
            frequency = chosen or site.digest_frequency
            period = due_period(frequency, now.astimezone(_zone(zone or "")), site)
            if period:
                due[pk] = (period, frequency)
        if not due:
            continue
        existing = set(
            DigestRun.objects.filter(
                user_id__in=list(due), period__in={p for p, _f in due.values()}
            ).values_list("user_id", "period")
        )
        new = [
            DigestRun(user_id=pk, period=period, frequency=frequency, planned_at=now)
            for pk, (period, frequency) in due.items()
            if (pk, period) not in existing
        ]
        DigestRun.objects.bulk_create(new, ignore_conflicts=True)
        planned += len(new)


def plan(
    *,
    enqueue: Callable[[list[int]], object],
    now: datetime | None = None,
    only_user_ids: list[int] | None = None,
) -> PlanResult:
    """Plan due digests and hand chunks of run ids to `enqueue` (the Celery task's `delay`,
    passed in by digests.tasks: this module never imports its own tasks). Safe to run any
    number of times, at once or in a row: a second planner running at the same moment
    returns without doing anything."""
    now = now or timezone.now()
    site = SiteSettings.load()
    result = PlanResult()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [PLANNER_LOCK])
            if not cur.fetchone()[0]:
                result.locked_out = True
                return result
        result.planned = _plan_runs(now, site, only_user_ids)
        stale = now - _lease()
        waiting = DigestRun.objects.filter(
            Q(status=Status.PLANNED, planned_at__gte=now)  # planned just now
            | Q(status=Status.PLANNED, planned_at__lt=stale)  # enqueued once, never taken
            | Q(status=Status.SENDING, claimed_at__lt=stale)  # taken by a worker that died
        )
        if only_user_ids is not None:
            waiting = waiting.filter(user_id__in=only_user_ids)
        run_ids = list(waiting.order_by("pk").values_list("pk", flat=True))
    result.enqueued, result.chunks, result.enqueue_failed = _enqueue(run_ids, now, enqueue)
    return result


def _enqueue(
    run_ids: list[int], now: datetime, enqueue: Callable[[list[int]], object]
) -> tuple[int, int, bool]:
    size = settings.DIGEST_CHUNK_SIZE
    sent = chunks = 0
    for start in range(0, len(run_ids), size):
        chunk = run_ids[start : start + size]
        try:
            enqueue(chunk)
        except Exception:
            # Broker down: the runs stay planned with their old time and are enqueued again
            # by the next planner run once it can reach the broker.
            log.exception("could not enqueue %d digests; the next planner run retries", len(chunk))
            DigestRun.objects.filter(pk__in=run_ids[start:], status=Status.PLANNED).update(
                planned_at=now - _lease() - timedelta(seconds=1)
            )
            return sent, chunks, True
        # Stamp the time they were handed to the broker: not enqueued again before the lease.
        DigestRun.objects.filter(pk__in=chunk, status=Status.PLANNED).update(
            planned_at=now - timedelta(microseconds=1)
        )
        sent += len(chunk)
        chunks += 1
    return sent, chunks, False


_CLAIM_SQL = """
UPDATE digests_digestrun
SET status = 'sending', claimed_at = %(now)s, attempts = attempts + 1
WHERE id = ANY(%(ids)s) AND (status = 'planned' OR status = 'sending' AND claimed_at < %(stale)s)
RETURNING id
"""


@dataclass
class ChunkResult:
    claimed: int = 0
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    failed: int = 0


def send_chunk(run_ids: list[int], *, now: datetime | None = None) -> ChunkResult:
    """Claim, build and send the digests of these runs. Runs already claimed by a living
    worker, or finished, are left alone: calling this twice with the same ids sends nothing
    the second time. A fixed number of queries to build the whole chunk, then one ledger
    write per digest (see the module docstring)."""
    now = now or timezone.now()
    result = ChunkResult()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_CLAIM_SQL, {"now": now, "ids": list(run_ids), "stale": now - _lease()})
        claimed = [row[0] for row in cur.fetchall()]
    result.claimed = len(claimed)
    if not claimed:
        return result
    site = SiteSettings.load()
    runs = list(
        DigestRun.objects.filter(pk__in=claimed)
        .select_related("user", "user__digest_choice")
        .order_by("pk")
    )
    still_due, skipped, worn_out = [], [], []
    for run in runs:
        if run.attempts > MAX_ATTEMPTS:
            worn_out.append(run.pk)
        elif _still_wanted(run, site):
            still_due.append(run)
        else:
            skipped.append(run.pk)
    if worn_out:
        # Taken and lost this many times: something about this digest kills workers.
        DigestRun.objects.filter(pk__in=worn_out).update(
            status=Status.FAILED, error=f"gave up after {MAX_ATTEMPTS} attempts", until=now
        )
        result.failed += len(worn_out)
    if skipped:
        DigestRun.objects.filter(pk__in=skipped).update(status=Status.SKIPPED, until=now)
        result.skipped = len(skipped)
    if not still_due:
        return result
    since = _since(still_due, now)
    for part, digests in _built_in_turn(still_due, since=since, until=now, site=site):
        empty = [run.pk for run in part if run.user_id not in digests]
        if empty:
            DigestRun.objects.filter(pk__in=empty).update(status=Status.EMPTY, until=now)
            result.empty += len(empty)
        _mail(part, digests, result)
    return result


# A chunk at least this large is built in two halves, the second on a thread of its own.
OVERLAP_FROM = 20


def _built_in_turn(
    runs: list[DigestRun], *, since: dict[int, datetime], until: datetime, site: SiteSettings
) -> Iterator[tuple[list[DigestRun], dict]]:
    """(runs, their digests) in turn. Building waits on PostgreSQL for most of its time (the
    candidates query), and mailing keeps Python busy, so a large chunk is built in two halves:
    the second half's digests are built on another thread, over its own database connection,
    while the first half is built and mailed here (psycopg2 lets go of the GIL while a query
    runs). Inside a transaction (tests, `send_now` from a shell in atomic()) another
    connection could not see its rows: then the whole chunk is built here."""

    def build(part: list[DigestRun]) -> dict:
        return build_digests(
            [run.user for run in part],
            since={run.user_id: since[run.pk] for run in part},
            until=until,
            site=site,
        )

    if len(runs) < OVERLAP_FROM or connection.in_atomic_block:
        yield runs, build(runs)
        return
    half = len(runs) // 2
    first, second = runs[:half], runs[half:]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-build") as pool:
        later = pool.submit(_on_own_connection, build, second)
        try:
            yield first, build(first)
        finally:
            # Whatever happened to the first half, the thread is finished with before leaving
            # (its connection closed); its error, if any, surfaces through result().
            wait([later])
        yield second, later.result()


def _on_own_connection(work: Callable[[list[DigestRun]], dict], part: list[DigestRun]) -> dict:
    try:
        return work(part)
    finally:
        connections.close_all()  # this thread's connections only


# Errors about one message or one recipient: that digest is marked failed, the others go on.
_ONE_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _mail(runs: list[DigestRun], digests: dict, result: ChunkResult) -> None:
    """Send each digest and mark it in the ledger right after it left. A refused recipient
    fails that digest only; a broken connection hands the unsent runs back to the planner
    (planned, and overdue so the very next planner run or task retry takes them) and lets the
    task's retry deal with the error."""
    waiting = [run for run in runs if run.user_id in digests]
    if not waiting:
        return  # no connection opened: nothing to send (the file backend would leave a file)
    try:
        with get_connection() as mail:
            while waiting:
                run = waiting[0]
                digest = digests[run.user_id]
                try:
                    _send_and_mark(run, digest, mail)
                except _ONE_MESSAGE_ERRORS as exc:
                    log.warning("digest %s for user %s refused: %s", run.pk, run.user_id, exc)
                    DigestRun.objects.filter(pk=run.pk).update(
                        status=Status.FAILED, error=str(exc)[:300], until=digest.until
                    )
                    result.failed += 1
                    counters.count_email(counters.DIGEST, counters.FAILED)
                    waiting.pop(0)
                    continue
                result.sent += 1
                counters.count_email(counters.DIGEST, counters.SENT)
                waiting.pop(0)
    except Exception:
        if waiting:
            DigestRun.objects.filter(
                pk__in=[run.pk for run in waiting], status=Status.SENDING
            ).update(status=Status.PLANNED, planned_at=timezone.now() - _lease() - _ONE_SECOND)
        raise


def _send_and_mark(run: DigestRun, digest, mail) -> None:
    """The ledger marks are written first and committed only once the email has left: a
    worker killed before the commit leaves the run "sending" (taken over after the lease),
    one killed after it leaves it sent. What is left between the two is the time from the
    mail server's answer to the COMMIT; with the marks written after the send it also held
    building and sending the UPDATEs, and a kill between the run's mark and the inbox rows'
    left those rows to be mailed again by the unread-message email (bench/faults.py)."""
    with transaction.atomic():
        DigestRun.objects.filter(pk=run.pk).update(
            status=Status.SENT,
            sent_at=timezone.now(),
            since=digest.since,
            until=digest.until,
            post_ids=[p.pk for p in digest.posts],
            more_count=digest.more_count,
            error="",
        )
        if digest.addressed:
            # Mailed in the digest: the unread-message email leaves them alone.
            InboxItem.objects.filter(pk__in=[r.pk for r in digest.addressed]).update(
                emailed_at=timezone.now()
            )
        emails.send_digest(run, digest, connection=mail)


def _still_wanted(run: DigestRun, site: SiteSettings) -> bool:
    """Checked at send time, not at planning time: deactivated, expired or unsubscribed in
    between means no digest."""
    user = run.user
    if not user.email or not receives_digests(user, site):
        return False
    choice = getattr(user, "digest_choice", None)
    frequency = (choice.frequency if choice else "") or site.digest_frequency
    return frequency == run.frequency


def _since(runs: list[DigestRun], now: datetime) -> dict[int, datetime]:
    """Each run starts at the latest of: the end of the person's previous digest, their last
    visit, and one period back."""
    previous = dict(
        DigestRun.objects.filter(
            user_id__in=[r.user_id for r in runs], status__in=[Status.SENT, Status.EMPTY]
        )
        .values("user_id")
        .annotate(last=Max("until"))
        .values_list("user_id", "last")
    )
    since = {}
    for run in runs:
        floor = now - PERIOD_LENGTH[run.frequency]
        candidates = [floor, previous.get(run.user_id), run.user.last_seen_at]
        since[run.pk] = max(c for c in candidates if c is not None)
    return since


def send_now(*, user_ids=None, now: datetime | None = None) -> ChunkResult:
    """`manage.py send_digests --now`: a digest for everyone (or the given people) right
    away, whatever the hour, in the current synchronous process. Uses its own period key so
    it never takes the place of the scheduled digest."""
    now = now or timezone.now()
    site = SiteSettings.load()
    people = _eligible_people(site, timezone.localdate(now))
    if user_ids is not None:
        people = people.filter(pk__in=user_ids)
    stamp = now.strftime("%Y%m%d%H%M")
    runs = []
    for pk, chosen, _zone_name in people:
        frequency = chosen or site.digest_frequency
        if frequency == Frequency.OFF:
            continue
        runs.append(
            DigestRun(user_id=pk, period=f"now-{stamp}", frequency=frequency, planned_at=now)
        )
    DigestRun.objects.bulk_create(runs, ignore_conflicts=True)
    ids = list(
        DigestRun.objects.filter(period=f"now-{stamp}", status=Status.PLANNED).values_list(
            "pk", flat=True
        )
    )
    total = ChunkResult()
    for start in range(0, len(ids), settings.DIGEST_CHUNK_SIZE):
        part = send_chunk(ids[start : start + settings.DIGEST_CHUNK_SIZE], now=now)
        total.claimed += part.claimed
        total.sent += part.sent
        total.empty += part.empty
        total.skipped += part.skipped
        total.failed += part.failed
    return total
