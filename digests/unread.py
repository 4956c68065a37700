"""Unread mentions, replies and invitations reach email (Zulip's missed-message emails).

A row addressed to someone (a mention, a reply, an invitation) that is still unread after the
site's delay (`SiteSettings.unread_email_delay`, 30 minutes by default) is mailed, together
with everything else of theirs still unread and not yet mailed, in one email. Then nothing
more for them until the delay has passed again. Never a new post from what they follow:
those stay in the feed and the digest.

Who: people who chose "after a while" (`DigestChoice.unread_email`), and people who never
chose while the site default is on; never those who chose "only in my digest" or "never",
nor anyone who may not use the site, nor a guest unless the site mails guests.

Exactly once per row: rows are claimed (`InboxItem.emailed_at`) with the ledger row
(`UnreadEmailSent`) in one transaction that commits once the email has left, skipping rows
another run has locked, so two beats or a retried task never mail a row twice. If sending
fails, or the worker dies before the commit, the claim is rolled back and a later run tries
again. Visibility is applied again when the email is built (`digests.selectors.inbox_items`),
and rows read in the meantime are left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import ngettext

from access.actions import receives_digests
from digests.emails import absolute
from digests.models import InboxItem, SiteSettings, UnreadEmail, UnreadEmailSent
from digests.preferences import time_zone_of
from digests.selectors import inbox_items
from esn import counters
from people.models import User
from people.selectors import language_of

log = logging.getLogger(__name__)

MAILED_KINDS = InboxItem.ADDRESSED_KINDS
# People handled per run; the rest wait for the next minute.
BATCH = 200


@dataclass
class UnreadResult:
    sent: int = 0
    rows: int = 0
    failed: int = 0


def _wanting(site: SiteSettings) -> Q:
    """People who want unread rows emailed: by their own choice, or by the site default."""
    chose_delay = Q(digest_choice__unread_email=UnreadEmail.DELAY)
    if not site.unread_email:
        return chose_delay
    never_chose = Q(digest_choice__isnull=True) | Q(digest_choice__unread_email="")
    return chose_delay | never_chose


def due_rows(now: datetime, site: SiteSettings):
    """Rows old enough, still unread and never mailed (before anyone's choice)."""
    return InboxItem.objects.filter(
        unread=True,
        deleted=False,
        emailed_at__isnull=True,
        kind__in=MAILED_KINDS,
        timestamp__lte=now - timedelta(minutes=site.unread_email_delay),
    )


def send_unread_emails(*, now: datetime | None = None) -> UnreadResult:
    """One run (beat starts one a minute): an email to each person with rows due."""
    now = now or timezone.now()
    site = SiteSettings.load()
    delay = timedelta(minutes=site.unread_email_delay)
    paced = UnreadEmailSent.objects.filter(sent_at__gt=now - delay).values("user_id")
    people = list(
        User.objects.filter(pk__in=due_rows(now, site).values("recipient_id"))
        .filter(_wanting(site), is_active=True)
        .select_related("digest_choice")
        .exclude(email="")
        .exclude(pk__in=paced)
        .order_by("pk")[:BATCH]
    )
    result = UnreadResult()
    for person in people:
        if not receives_digests(person, site):
            continue
        try:
            claimed = _claim_and_send(person, now, site)
        except Exception:
            result.failed += 1
            counters.count_email(counters.UNREAD, counters.FAILED)
            log.exception("unread email to user %s failed; its rows are released", person.pk)
            continue
        if not claimed:
            continue
        result.sent += 1
        counters.count_email(counters.UNREAD, counters.SENT)
        result.rows += len(claimed)
    return result


def _claim_and_send(person: User, now: datetime, site: SiteSettings) -> list[InboxItem]:
    """Lock and mark the person's due rows that they may still see, with the ledger row, and
    send the email before the claim commits: a failed send rolls the claim back, and so does
    a worker killed mid-send (the rows were claimed in a transaction of their own committed
    before the send, and a SIGKILL in between lost the email for good: bench/faults.py). The
    rows stay locked meanwhile, so a second run skips them."""
    with transaction.atomic():
        visible = inbox_items(person).filter(
            pk__in=due_rows(now, site).filter(recipient=person).values("pk")
        )
        ids = list(
            InboxItem.objects.select_for_update(skip_locked=True)
            .filter(pk__in=visible.values("pk"), emailed_at__isnull=True, unread=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        InboxItem.objects.filter(pk__in=ids).update(emailed_at=now)
        UnreadEmailSent.objects.create(user=person, sent_at=now, item_count=len(ids))
        claimed = list(inbox_items(person).filter(pk__in=ids))
        _message(person, claimed, site).send(fail_silently=False)
    return claimed


def _message(person: User, rows: list[InboxItem], site: SiteSettings) -> EmailMultiAlternatives:
    """The email, subject and sentences included, in the person's language and time zone."""
    with translation.override(language_of(person)), timezone.override(time_zone_of(person)):
        return _render(person, rows, site)


def _render(person: User, rows: list[InboxItem], site: SiteSettings) -> EmailMultiAlternatives:
    lines = []
    for row in rows:
        html = render_to_string("digests/_inbox_sentence.html", {"item": row})
        lines.append(
            {
                "text": " ".join(strip_tags(html).split()),
                "html": html,
                "url": absolute(reverse("digests:open", args=[row.pk])),
            }
        )
    context = {
        "person": person,
        "lines": lines,
        "delay": site.unread_email_delay,
        "inbox_url": absolute(reverse("digests:inbox")),
        "settings_url": absolute(reverse("digests:settings")),
    }
    subject = ngettext(
        "%(n)d unread message addressed to you",
        "%(n)d unread messages addressed to you",
        len(rows),
    ) % {"n": len(rows)}
    first = min(r.pk for r in rows)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("digests/email/unread.txt", context),
        to=[person.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "Message-ID": f"<unread-{person.pk}-{first}@{urlsplit(settings.SITE_URL).hostname}>",
        },
    )
    message.attach_alternative(render_to_string("digests/email/unread.html", context), "text/html")
    return message
