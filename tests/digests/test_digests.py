"""Digests: planned on a schedule, one per person and period, built at send time through the
visibility policy, never one email per post."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import psycopg2
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from digests import emails, planning, preferences
from digests.models import DigestRun, Frequency, InboxItem, Level, SiteSettings, SourceKind
from groups import moderation
from groups import services as group_services
from groups.models import Group
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.models import User
from people.services import follow_person
from posts import services as post_services
from posts.models import Post
from tests.factories import UserFactory
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db
Status = DigestRun.Status
AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _digests_always_due():
    """Hour 0 on Mondays: a daily or weekly digest is due whenever a test plans one."""
    site = SiteSettings.current()
    site.digest_frequency = Frequency.DAILY
    site.send_hour = 0
    site.send_weekday = 0
    site.max_items = 15
    site.save()


def seen_long_ago(*people: User) -> None:
    User.objects.filter(pk__in=[p.pk for p in people]).update(
        last_seen_at=timezone.now() - timedelta(days=30)
    )


def a_now_with_the_day_ahead(room: timedelta) -> datetime:
    """Now, or just after the coming midnight (the site's) when less than `room` is left of
    today: a test that moves the clock on by up to `room` stays within one day's digest."""
    now = timezone.now()
    local = timezone.localtime(now)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return now if midnight - local > room else midnight + timedelta(minutes=1)


def run_digests(now: datetime | None = None):
    """One planner run with its chunks executed right here, as a worker would, at `now`."""
    now = now or timezone.now()
    return planning.plan(now=now, enqueue=lambda chunk: planning.send_chunk(chunk, now=now))


def digest_to(person: User):
    found = [m for m in mail.outbox if m.to == [person.email]]
    assert len(found) <= 1, f"{person} got {len(found)} digests"
    return found[0] if found else None


def html_of(message) -> str:
    return message.alternatives[0][0]


@pytest.fixture
def owner(db):
    return UserFactory(username="otto.owner", first_name="Otto", last_name="Owner")


def test_hundreds_of_posts_send_no_email_until_the_digest_run_sends_one_each(
    member, colleague, owner, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.OPEN, name="Standing desks")
    group_services.join_group(user=member, group=group)
    group_services.join_group(user=colleague, group=group)
    tag = Hashtag.objects.create(name="ergonomics", slug="ergonomics")
    follow_hashtag(user=member, hashtag=tag)
    follow_hashtag(user=colleague, hashtag=tag)
    seen_long_ago(member, colleague, owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(150):
            post_services.create_post(author=owner, body=f"desk tip {n}", group=group)
            post_services.create_post(author=owner, body=f"#ergonomics chair tip {n}")
    assert len(mail.outbox) == 0

    run_digests()

    assert sorted(m.to[0] for m in mail.outbox) == sorted([member.email, colleague.email])
    run_digests()
    run_digests()
    assert len(mail.outbox) == 2  # once per period, however often the planner runs


def test_digest_has_only_digest_level_sources_grouped_ranked_capped_and_says_why(
    member, colleague, outsider, owner
):
    group = make_group(owner, Group.Kind.OPEN, name="Coffee Club")
    quiet = make_group(owner, Group.Kind.OPEN, name="Quiet Room")
    for g in (group, quiet):
        group_services.join_group(user=member, group=g)
    preferences.set_source_level(
        user=member, kind=SourceKind.GROUP, object_id=quiet.pk, level=Level.FEED
    )
    follow_person(follower=member, followee=colleague)
    follow_person(follower=member, followee=outsider)
    preferences.set_source_level(
        user=member, kind=SourceKind.PERSON, object_id=outsider.pk, level=Level.MUTED
    )
    site = SiteSettings.current()
    site.max_items = 3
    site.save()
    seen_long_ago(member)

    popular = post_services.create_post(author=owner, body="POPULAR beans", group=group)
    for fan in [UserFactory() for _ in range(3)]:
        post_services.toggle_like(post=popular, user=fan)
    post_services.create_post(author=owner, body="EARLY beans", group=group)
    post_services.create_post(author=colleague, body="FROM-CARL hello")
    post_services.create_post(author=owner, body="LATE beans", group=group)
    post_services.create_post(author=owner, body="FEED-ONLY whisper", group=quiet)
    post_services.create_post(author=outsider, body="MUTED-PERSON shout")

    run_digests()

    message = digest_to(member)
    text, html = message.body, html_of(message)
    assert "== Coffee Club ==" in text and "== People you follow ==" in text
    assert "why: in Coffee Club" in text and "why: you follow @carl.colleague" in text
    # Engagement first, then recency; four posts qualify, three fit, the fourth is counted.
    assert text.index("POPULAR") < text.index("LATE")
    assert "FROM-CARL" in text and "EARLY" not in text
    assert "And 1 more post in your feed" in text
    for left_out in ("FEED-ONLY", "MUTED-PERSON"):
        assert left_out not in text and left_out not in html


def test_digest_leaves_out_what_i_saw_on_my_last_visit_and_in_my_last_digest(member, colleague):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    old = post_services.create_post(author=colleague, body="SEEN-IN-APP")
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    User.objects.filter(pk=member.pk).update(last_seen_at=timezone.now() - timedelta(hours=2))
    post_services.create_post(author=colleague, body="NEW-SINCE-VISIT")

    run_digests()
    text = digest_to(member).body
    assert "NEW-SINCE-VISIT" in text and "SEEN-IN-APP" not in text

    # The next day's digest starts where this one ended.
    mail.outbox.clear()
    tomorrow = timezone.now() + timedelta(days=1)
    next_day = post_services.create_post(author=colleague, body="NEXT-DAY")
    Post.objects.filter(pk=next_day.pk).update(created_at=tomorrow - timedelta(hours=3))
    run_digests(now=tomorrow)
    text = digest_to(member).body
    assert "NEXT-DAY" in text and "NEW-SINCE-VISIT" not in text


def test_a_post_reads_as_words_in_the_email_not_as_markdown(member, colleague):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    post_services.create_post(
        author=colleague,
        body="How do you keep **focus time**?\n\n- mornings\n- Q&A <b>after</b>lunch",
    )

    run_digests()

    message = digest_to(member)
    for body in (message.body, html_of(message)):
        assert "**" not in body and "- mornings" not in body
    assert "How do you keep focus time? mornings Q&A afterlunch" in message.body
    assert "How do you keep focus time? mornings Q&amp;A afterlunch" in html_of(message)


def test_nothing_new_means_no_email(member, colleague):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)

    run_digests()

    assert digest_to(member) is None
    assert DigestRun.objects.get(user=member).status == Status.EMPTY


def test_make_digests_with_nothing_new_says_why_and_leaves_no_empty_mail_file(
    member, colleague, settings, tmp_path
):
    import io

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    follow_person(follower=member, followee=colleague)
    out = io.StringIO()
    call_command("send_digests", "--now", "--user", member.username, stdout=out)
    assert "0 digest(s) sent, 1 with nothing new" in out.getvalue()
    assert "since their last digest or their last visit" in out.getvalue()
    assert list(tmp_path.iterdir()) == []


def test_visibility_is_applied_when_the_email_is_built_not_when_planned(member, owner):
    secret = make_group(owner, Group.Kind.PRIVATE, name="Board")
    add_member(secret, owner, member)
    post_services.create_post(author=owner, body="PRIVATE-MARKER numbers", group=secret)
    post_services.create_post(author=owner, body="PUBLIC-MARKER news")
    follow_person(follower=member, followee=owner)
    seen_long_ago(member)
    sent_chunks = []
    planning.plan(enqueue=sent_chunks.append)  # planned and queued, not yet sent

    group_services.remove_member(group=secret, manager=owner, person=member)
    for chunk in sent_chunks:
        planning.send_chunk(chunk)

    message = digest_to(member)
    assert "PUBLIC-MARKER" in message.body
    assert "PRIVATE-MARKER" not in message.body and "PRIVATE-MARKER" not in html_of(message)


def test_someone_deactivated_or_unsubscribed_after_planning_gets_nothing(member, colleague, owner):
    for person in (member, colleague):
        follow_person(follower=person, followee=owner)
    seen_long_ago(member, colleague)
    post_services.create_post(author=owner, body="news")
    queued = []
    planning.plan(enqueue=queued.append)

    User.objects.filter(pk=member.pk).update(is_active=False)
    preferences.set_frequency(user=colleague, frequency=Frequency.OFF)
    for chunk in queued:
        planning.send_chunk(chunk)

    assert mail.outbox == []
    statuses = DigestRun.objects.filter(user__in=[member, colleague]).values_list("status")
    assert set(statuses) == {(Status.SKIPPED,)}


def test_a_chunk_delivered_twice_sends_once(member, colleague):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    post_services.create_post(author=colleague, body="hello")
    queued = []
    planning.plan(enqueue=queued.append)

    for chunk in queued + queued:
        planning.send_chunk(chunk)

    assert len(mail.outbox) == 1
    assert DigestRun.objects.get(user=member).attempts == 1


def test_a_crashed_chunk_is_taken_over_after_the_lease_and_a_living_one_is_not(
    member, colleague, settings
):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    post_services.create_post(author=colleague, body="hello")
    queued = []
    now = a_now_with_the_day_ahead(timedelta(seconds=settings.DIGEST_CLAIM_LEASE_SECONDS + 60))
    planning.plan(now=now, enqueue=queued.append)
    # A worker claimed the run and died before sending.
    DigestRun.objects.update(status=Status.SENDING, claimed_at=now)

    run_digests(now=now + timedelta(minutes=5))
    assert mail.outbox == []  # still within the lease: maybe it is only slow

    run_digests(now=now + timedelta(seconds=settings.DIGEST_CLAIM_LEASE_SECONDS + 1))
    assert len(mail.outbox) == 1
    assert DigestRun.objects.get(user=member).status == Status.SENT


def test_broker_down_keeps_runs_planned_and_the_next_planner_run_catches_up(member, colleague):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    post_services.create_post(author=colleague, body="hello")

    def broker_down(_chunk):
        raise ConnectionRefusedError("redis is down")

    result = planning.plan(enqueue=broker_down)
    assert result.enqueue_failed and mail.outbox == []
    assert DigestRun.objects.get(user=member).status == Status.PLANNED

    result = run_digests()
    assert result.enqueued == DigestRun.objects.count() and len(mail.outbox) == 1


def test_a_second_planner_at_the_same_time_does_nothing(member):
    other = psycopg2.connect(**_dsn())
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", [planning.PLANNER_LOCK])
        result = planning.plan(enqueue=planning.send_chunk)
        assert result.locked_out and DigestRun.objects.count() == 0
    finally:
        other.close()


def _dsn() -> dict:
    params = connection.get_connection_params()
    return {k: params[k] for k in ("dbname", "user", "host", "port") if params.get(k)}


def test_people_plan_in_their_own_time_zone_and_hour(member, colleague):
    site = SiteSettings.current()
    site.send_hour = 8
    site.save()
    preferences.set_frequency(user=member, frequency=Frequency.DAILY, time_zone="Asia/Tokyo")
    preferences.set_frequency(user=colleague, frequency=Frequency.DAILY)  # site zone
    # 07:30 in Amsterdam is 15:30 in Tokyo: Mia's digest is due, Carl's is not yet.
    now = datetime(2026, 11, 23, 7, 30, tzinfo=AMS)

    planning.plan(now=now, enqueue=lambda chunk: None)

    assert list(DigestRun.objects.values_list("user__username", "period")) == [
        ("mia.member", "2026-11-23")
    ]


def test_weekly_digest_is_due_from_its_weekday_and_hour():
    site = SiteSettings(send_hour=8, send_weekday=0)
    monday_7 = datetime(2026, 11, 23, 7, tzinfo=AMS)
    monday_9 = datetime(2026, 11, 23, 9, tzinfo=AMS)
    wednesday = datetime(2026, 11, 25, 1, tzinfo=AMS)
    assert planning.due_period(Frequency.WEEKLY, monday_7, site) is None
    assert planning.due_period(Frequency.WEEKLY, monday_9, site) == "2026-W48"
    assert planning.due_period(Frequency.WEEKLY, wednesday, site) == "2026-W48"  # catching up
    assert planning.due_period(Frequency.OFF, monday_9, site) is None


def test_guests_get_digests_only_when_the_site_allows(member, owner):
    guest = UserFactory(username="gina.guest", is_guest=True, sponsor=owner)
    group = make_group(owner, Group.Kind.PRIVATE, allow_guests=True)
    add_member(group, owner, guest)
    seen_long_ago(guest)
    post_services.create_post(author=owner, body="GUEST-VISIBLE hello", group=group)
    post_services.create_post(author=owner, body="EMPLOYEES-ONLY hello")
    follow_person(follower=guest, followee=owner)

    run_digests()
    assert digest_to(guest) is None

    site = SiteSettings.current()
    site.guests_get_digests = True
    site.save()
    run_digests()
    text = digest_to(guest).body
    assert "GUEST-VISIBLE" in text and "EMPLOYEES-ONLY" not in text


def _chunk_queries(people: list[User]) -> CaptureQueriesContext:
    queued = []
    planning.plan(enqueue=queued.append)
    assert len(queued) == 1
    with CaptureQueriesContext(connection) as ctx:
        result = planning.send_chunk(queued[0])
    assert result.sent == len(people)
    return ctx


@pytest.mark.parametrize("size", [4, 16])
def test_building_a_chunk_takes_the_same_queries_for_any_number_of_people(size, owner, settings):
    settings.DIGEST_CHUNK_SIZE = 50
    group = make_group(owner, Group.Kind.OPEN)
    tag = Hashtag.objects.create(name="news", slug="news")
    people = [UserFactory() for _ in range(size)]
    for person in people:
        group_services.join_group(user=person, group=group)
        follow_person(follower=person, followee=owner)
        follow_hashtag(user=person, hashtag=tag)
    for n in range(5):
        post_services.create_post(
            author=owner, body=f"#news item {n}", group=group, is_question=n % 2 == 0
        )
    seen_long_ago(*people)

    preferences.set_frequency(user=owner, frequency=Frequency.OFF)
    ctx = _chunk_queries(people)
    assert "Unanswered questions in your groups" in mail.outbox[0].body

    ledger = [q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "digests_digestrun"')]
    # Each mark commits with its email (planning._send_and_mark): a transaction per digest,
    # savepoints here inside the test's own transaction, a COMMIT (not a query) in a worker.
    savepoints = [q for q in ctx.captured_queries if "SAVEPOINT" in q["sql"]]
    others = len(ctx.captured_queries) - len(ledger) - len(savepoints) + 4  # claim, candidates
    # claim in a savepoint (3), site settings (1), runs with their people (1), previous
    # digests (1), everyone's ties (follows, hashtags, memberships, invitations, blocks,
    # source choices) in one (access.viewer.load_ties, was five), candidates with their
    # planner settings in a savepoint (4), the posts with authors and groups, and their
    # hashtags (2: an email shows no images), announcements pinned since (1): 14, for 4
    # people or 16. Open questions in one's groups (three of the posts here) cost
    # no query of their own: their groups come with the memberships, the questions with the
    # candidates.
    assert others == 14
    # The ledger: one mark per digest sent, committed once its email left (see planning.py).
    assert len(ledger) == size
    assert len(savepoints) == 4 + 2 * size


def test_email_has_text_and_html_bodies_and_one_click_unsubscribe_headers(member, colleague):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    post_services.create_post(author=colleague, body='Hello <b>"team"</b> & <script>x()</script>')

    run_digests()

    message = digest_to(member)
    assert message.alternatives[0][1] == "text/html"
    # The post's words, escaped: none of its markup reaches the email.
    assert "Hello &quot;team&quot; &amp;" in html_of(message)
    assert "<b>" not in html_of(message) and "script" not in html_of(message)
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http") and "/digests/unsubscribe/" in unsubscribe
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in message.body and unsubscribe in html_of(message)
    run = DigestRun.objects.get(user=member)
    assert reverse("digests:digest", args=[run.pk]) in message.body


def test_unsubscribe_link_shows_a_button_then_turns_digests_off_without_signing_in(member, client):
    token = emails.unsubscribe_token(member)
    url = reverse("digests:unsubscribe", args=[token])

    page = client.get(url)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert preferences.effective_frequency(member) == Frequency.DAILY  # a GET changes nothing

    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert preferences.effective_frequency(member) == Frequency.OFF


def test_a_tampered_unsubscribe_token_changes_nothing(member, colleague, client):
    token = emails.unsubscribe_token(member)
    forged = token.replace(token[2], "x" if token[2] != "x" else "y", 1)
    response = client.post(reverse("digests:unsubscribe", args=[forged]))
    assert response.status_code == 400 and b"does not work" in response.content
    assert preferences.effective_frequency(member) == Frequency.DAILY


def test_view_in_browser_is_for_the_recipient_only_and_applies_the_policy_again(
    member, colleague, client
):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    kept = post_services.create_post(author=colleague, body="KEPT-MARKER")
    gone = post_services.create_post(author=colleague, body="REMOVED-MARKER")
    run_digests()
    run = DigestRun.objects.get(user=member, status=Status.SENT)
    moderation.remove_post(
        post=gone, user=UserFactory(is_staff=True, is_superuser=True), reason="spam"
    )
    url = reverse("digests:digest", args=[run.pk])

    client.force_login(member)
    page = client.get(url).content.decode()
    assert "KEPT-MARKER" in page and "REMOVED-MARKER" not in page
    assert kept.get_absolute_url() in page
    client.force_login(colleague)
    assert client.get(url).status_code == 404


def test_send_digests_now_for_one_person(member, colleague, owner):
    for person in (member, colleague):
        follow_person(follower=person, followee=owner)
    seen_long_ago(member, colleague)
    post_services.create_post(author=owner, body="hello")
    site = SiteSettings.current()
    site.send_hour = 23  # not due by the schedule: --now ignores it
    site.save()

    call_command("send_digests", "--now", "--user", member.username)

    assert [m.to for m in mail.outbox] == [[member.email]]


def test_send_digests_names_an_unknown_user():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No such user: nobody"):
        call_command("send_digests", "--now", "--user", "nobody")


def test_requests_work_with_the_broker_down_and_the_sweep_delivers_their_events_later(
    member, colleague, client, monkeypatch
):
    """Posting, commenting, liking and the inbox work with Redis down: the request records
    its events and hands them to Celery after the commit; the refusal is logged, nothing is
    lost, and the sweep delivers the events once a worker runs it."""
    from celery.app.task import Task

    from digests import services as inbox_services
    from digests import tasks
    from digests.models import InboxEvent

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(Task, "apply_async", broker_down)
    monkeypatch.setattr(inbox_services, "hand_to_worker", tasks.deliver_inbox_event.delay)
    client.force_login(member)
    response = client.post(reverse("posts:create"), {"body": "@carl.colleague hi"})
    assert response.status_code == 302
    post = Post.objects.get(author=member)
    client.force_login(colleague)
    client.post(reverse("posts:comment", args=[post.pk]), {"body": "hello back"})
    client.post(reverse("posts:like", args=[post.pk]))
    assert client.get(reverse("digests:inbox")).status_code == 200
    assert post.comments.count() == 1
    # Recorded, not yet told: a mention, a reply and a like wait for a worker.
    assert InboxEvent.objects.filter(delivered_at__isnull=True).count() == 3
    assert not InboxItem.objects.exists()

    assert inbox_services.deliver_pending(older_than=timedelta(0)) == 3
    assert set(InboxItem.objects.values_list("recipient__username", "kind")) == {
        ("carl.colleague", InboxItem.Kind.MENTION),
        ("mia.member", InboxItem.Kind.REPLY),
        ("mia.member", InboxItem.Kind.REACTION),
    }
    # Delivered once: a second sweep (or a late task) finds nothing to do.
    assert inbox_services.deliver_pending(older_than=timedelta(0)) == 0
    assert InboxItem.objects.count() == 3


class RefusingBackend:
    """A mail connection that refuses one address, or drops after `drop_after` messages."""

    refuse: str = ""
    drop_after: int | None = None
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        import smtplib

        for message in messages:
            if message.to == [self.refuse]:
                raise smtplib.SMTPRecipientsRefused({self.refuse: (550, b"no such user")})
            if self.drop_after is not None and len(type(self).sent) >= self.drop_after:
                raise smtplib.SMTPServerDisconnected("connection lost")
            type(self).sent.append(message.to[0])
        return len(messages)


@pytest.fixture
def refusing_mail(monkeypatch):
    RefusingBackend.sent = []
    RefusingBackend.refuse = ""
    RefusingBackend.drop_after = None
    monkeypatch.setattr(planning, "get_connection", lambda: RefusingBackend())
    return RefusingBackend


def _readers(author: User, n: int) -> list[User]:
    readers = [UserFactory(username=f"reader{i}") for i in range(n)]
    for reader in readers:
        follow_person(follower=reader, followee=author)
    preferences.set_frequency(user=author, frequency=Frequency.OFF)
    seen_long_ago(*readers)
    post_services.create_post(author=author, body="news for everyone")
    return readers


def test_a_refused_address_fails_that_digest_only(owner, refusing_mail):
    first, bad, last = _readers(owner, 3)
    refusing_mail.refuse = bad.email

    run_digests()

    assert refusing_mail.sent == [first.email, last.email]
    status = dict(DigestRun.objects.values_list("user__username", "status"))
    assert status == {first.username: "sent", bad.username: "failed", last.username: "sent"}
    assert "no such user" in DigestRun.objects.get(user=bad).error


def test_a_dropped_connection_hands_the_unsent_back_and_the_retry_sends_them(owner, refusing_mail):
    readers = _readers(owner, 4)
    refusing_mail.drop_after = 1
    queued = []
    planning.plan(enqueue=queued.append)

    with pytest.raises(OSError, match="connection lost"):
        planning.send_chunk(queued[0])
    assert DigestRun.objects.filter(status="sent").count() == 1
    assert DigestRun.objects.filter(status="planned").count() == 3  # not stuck in "sending"

    refusing_mail.drop_after = None
    planning.send_chunk(queued[0])  # what Celery's retry of the same task does
    assert sorted(refusing_mail.sent) == sorted(r.email for r in readers)


def test_a_digest_that_keeps_killing_workers_is_given_up(member, colleague):
    follow_person(follower=member, followee=colleague)
    seen_long_ago(member)
    post_services.create_post(author=colleague, body="hello")
    queued = []
    planning.plan(enqueue=queued.append)
    DigestRun.objects.filter(user=member).update(attempts=planning.MAX_ATTEMPTS)

    result = planning.send_chunk(queued[0])

    assert result.failed == 1 and mail.outbox == []
    assert DigestRun.objects.get(user=member).status == "failed"


def test_a_blocked_person_stays_out_of_my_digest(member, colleague, owner):
    from people.services import block_person

    group = make_group(owner, Group.Kind.OPEN, name="Coffee Club")
    for person in (member, colleague):
        group_services.join_group(user=person, group=group)
    seen_long_ago(member)
    post_services.create_post(author=colleague, body="BLOCKED-AUTHOR beans", group=group)
    post_services.create_post(author=owner, body="OWNER beans", group=group)
    block_person(blocker=member, blocked=colleague)

    run_digests()

    text = digest_to(member).body
    assert "OWNER beans" in text and "BLOCKED-AUTHOR" not in text


# --- unanswered questions in my groups ----------------------------------------------------


def _ask(author, body, group=None, **kwargs):
    return post_services.create_post(author=author, body=body, group=group, is_question=True)


def test_open_questions_in_my_groups_have_their_own_section(member, colleague, owner, admin):
    site = SiteSettings.current()
    site.include_groups = False  # group posts stay in the feed; open questions are mailed
    site.save()
    asked, quiet, muted = (
        make_group(owner, Group.Kind.OPEN, name=name) for name in ("Help desk", "Quiet", "Loud")
    )
    private = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    for group in (asked, quiet, muted):
        group_services.join_group(user=member, group=group)
        group_services.join_group(user=colleague, group=group)
    add_member(private, owner, member)
    preferences.set_source_level(
        user=member, kind=SourceKind.GROUP, object_id=quiet.pk, level=Level.FEED
    )
    group_services.set_muted(user=member, group=muted, muted=True)
    seen_long_ago(member)
    old = _ask(owner, "OLD-Q before my last visit", asked)
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=60))

    _ask(owner, "OPEN-Q how do I reset my token?", asked)
    _ask(owner, "PRIVATE-Q who signs off discounts?", private)
    solved = _ask(owner, "SOLVED-Q where is the wiki?", asked)
    reply = post_services.add_comment(post=solved, author=colleague, body="here")
    post_services.accept_answer(post=solved, comment=reply, by=owner)
    _ask(member, "MINE-Q my own question", asked)
    _ask(owner, "FEED-ONLY-Q in a group I keep out of mail", quiet)
    _ask(owner, "MUTED-Q in a muted group", muted)
    _ask(owner, "COMPANY-Q not in a group")
    removed = _ask(owner, "REMOVED-Q taken down", asked)
    moderation.remove_post(post=removed, user=admin, reason="spam")
    post_services.create_post(author=owner, body="PLAIN-POST not a question", group=asked)
    leaving = _ask(owner, "LEFT-Q in a group I leave before the digest", private)
    group_services.leave_group(user=member, group=private)

    run_digests()

    message = digest_to(member)
    text, html = message.body, html_of(message)
    assert "== Unanswered questions in your groups ==" in text
    assert "OPEN-Q" in text and "why: open question in Help desk" in text
    assert reverse("questions") in html
    for left_out in (
        "OLD-Q",
        "PRIVATE-Q",
        "SOLVED-Q",
        "MINE-Q",
        "FEED-ONLY-Q",
        "MUTED-Q",
        "COMPANY-Q",
        "REMOVED-Q",
        "PLAIN-POST",
        "LEFT-Q",
    ):
        assert left_out not in text and left_out not in html, left_out
    assert leaving.pk not in DigestRun.objects.get(user=member).post_ids
    # Colleague was asked the same question: it is theirs too, and nothing else is.
    assert "OPEN-Q" in digest_to(colleague).body


def test_a_question_answered_before_the_digest_leaves_is_not_mailed(member, owner, colleague):
    group = make_group(owner, Group.Kind.OPEN, name="Help desk")
    for person in (member, colleague):
        group_services.join_group(user=person, group=group)
    site = SiteSettings.current()
    site.include_groups = False
    site.save()
    seen_long_ago(member)
    question = _ask(owner, "LATE-ANSWER-Q anyone?", group)
    planning.plan(enqueue=lambda chunk: None)  # planned now, sent later
    planned = DigestRun.objects.get(user=member)
    reply = post_services.add_comment(post=question, author=colleague, body="me")
    post_services.accept_answer(post=question, comment=reply, by=owner)

    # An hour later may be the next day, with a period of its own planned too (late at night):
    # neither may mail the answered question.
    run_digests(timezone.now() + timedelta(hours=1))

    # The only item got answered in between: built at send time, found empty, not sent.
    assert digest_to(member) is None
    planned.refresh_from_db()
    assert planned.status == Status.EMPTY


def test_an_open_question_in_a_digest_group_is_listed_once(member, owner):
    group = make_group(owner, Group.Kind.OPEN, name="Help desk")
    group_services.join_group(user=member, group=group)
    seen_long_ago(member)
    _ask(owner, "ONCE-Q printer?", group)
    post_services.create_post(author=owner, body="NEWS the printer is fixed", group=group)

    run_digests()

    text = digest_to(member).body
    assert text.count("ONCE-Q") == 1
    assert text.index("== Unanswered questions in your groups ==") < text.index("ONCE-Q")
    assert "== Help desk ==" in text and "NEWS" in text


def test_the_site_can_leave_questions_out_of_digests(member, owner):
    site = SiteSettings.current()
    site.include_groups = False
    site.include_unanswered = False
    site.save()
    group = make_group(owner, Group.Kind.OPEN, name="Help desk")
    group_services.join_group(user=member, group=group)
    seen_long_ago(member)
    _ask(owner, "UNMAILED-Q anyone?", group)

    run_digests()

    assert digest_to(member) is None


def test_the_settings_page_says_open_questions_come_in_the_digest(member_client):
    html = member_client.get(reverse("digests:settings")).content.decode()
    assert "questions</a> asked in your groups that are still unanswered" in html
    site = SiteSettings.current()
    site.include_unanswered = False
    site.save()
    html = member_client.get(reverse("digests:settings")).content.decode()
    assert "still unanswered" not in html
