from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as reset_sign_in_failures
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from access.viewer import Viewer
from digests import services as inbox
from esn import generations
from groups.models import Invitation, Membership
from people.models import Block, Follow, User

# What a person may change on their own profile: a guest names their organisation instead of
# an internal department and location.
EMPLOYEE_PROFILE_FIELDS = {
    "first_name",
    "last_name",
    "title",
    "department",
    "location",
    "bio",
    "listed_as_knowing",
}
GUEST_PROFILE_FIELDS = {
    "first_name",
    "last_name",
    "title",
    "organisation",
    "bio",
    "listed_as_knowing",
}


@transaction.atomic
def update_profile(
    *,
    person: User,
    fields: dict[str, Any],
    skills: list[str],
    avatar: UploadedFile | None = None,
    remove_avatar: bool = False,
) -> User:
    """Save a person's own profile: `fields` (only those a person of their kind may change;
    others are ignored), their skills (exactly these), and a new photo or none (a new one
    wins over `remove_avatar`). A replaced or removed photo's file is deleted once the
    change is committed."""
    allowed = GUEST_PROFILE_FIELDS if person.is_guest else EMPLOYEE_PROFILE_FIELDS
    changed = [name for name in fields if name in allowed]
    for name in changed:
        setattr(person, name, fields[name])
    old_avatar = person.avatar.name if person.avatar else ""
    if avatar is not None:
        person.avatar = avatar
        changed.append("avatar")
    elif remove_avatar and old_avatar:
        person.avatar = ""
        changed.append("avatar")
    person.save(update_fields=[*changed, "updated_at"])
    person.skills.set(skills)
    new_avatar = person.avatar.name if person.avatar else ""
    if old_avatar and old_avatar != new_avatar:
        storage = person.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return person


def set_languages(
    *, person: User, language: str, reads: list[str], only_read_in_feed: bool
) -> User:
    """A person's own language (blank: the site's default, whatever it is now and later),
    the languages they read, and whether their feed keeps to those. Codes outside
    settings.LANGUAGES are refused; limiting the feed needs at least one language read."""
    known = [code for code, _name in settings.LANGUAGES]
    if language and language not in known:
        raise ValidationError(_("Choose one of the languages offered."), code="language")
    if any(code not in known for code in reads):
        raise ValidationError(_("Choose among the languages offered."), code="reads")
    if only_read_in_feed and not reads:
        raise ValidationError(
            _("Tick the languages you read, or show posts in every language."), code="no_reads"
        )
    person.language = language
    person.reads_languages = [code for code in known if code in reads]
    person.only_read_languages_in_feed = only_read_in_feed
    person.save(
        update_fields=["language", "reads_languages", "only_read_languages_in_feed", "updated_at"]
    )
    return person


def adopt_first_language(*, person: User, language: str) -> bool:
    """At a person's first sign-in: the language their browser asks for becomes theirs, if it
    is one of ours and nobody (they, an admin, a provisioning system) chose one already."""
    if language not in dict(settings.LANGUAGES):
        return False
    adopted = bool(User.objects.filter(pk=person.pk, language="").update(language=language))
    if adopted:
        person.language = language
    return adopted


USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length or 150
# Django's username characters, less "@" (a base is cut at it: "ann@example.com" is "ann").
_NOT_IN_USERNAME = re.compile(r"[^\w.+-]")


def free_username(base: str, taken: set[str] | None = None, *, fallback: str = "person") -> str:
    """A username nobody has yet, in any case, made from `base` (a name, or an email address:
    only the part before "@" counts): lowercased, accents folded ("José" is "jose"), Django's
    username characters only, never ending in punctuation (so an @mention of it ends where the
    name does), at most the username's maximum length. When taken it gets a suffix: "ann",
    then "ann-2", "ann-3"... `fallback` is the base when nothing of `base` is left.

    `taken`: the lowercased usernames to avoid, when a caller names many people at once
    (an import): the database is not asked then, and the name chosen is added to the set.
    Without it, the database is asked (usually one query, on the lower(username) index)."""
    folded = unicodedata.normalize("NFKD", base.partition("@")[0].strip().lower())
    stem = "".join(c for c in folded if not unicodedata.combining(c))
    stem = _NOT_IN_USERNAME.sub("", unicodedata.normalize("NFC", stem)).strip("._+-")
    stem = stem or fallback

    def candidate(n: int) -> str:
        suffix = "" if n == 1 else f"-{n}"
        return stem[: USERNAME_MAX_LENGTH - len(suffix)].rstrip("._+-") + suffix

    first = 1
    while True:
        batch = [candidate(n) for n in range(first, first + 20)]
        if taken is None:
            used = set(
                User.objects.annotate(lower=Lower("username"))
                .filter(lower__in=batch)
                .values_list("lower", flat=True)
            )
        else:
            used = taken
        for name in batch:
            if name not in used:
                if taken is not None:
                    taken.add(name)
                return name
        first += 20


def follow_person(*, follower: User, followee: User) -> bool:
    """Follow someone; their posts come into the follower's home feed. Returns True if this
    created the follow (a repeated click changes nothing and tells nobody twice)."""
    if follower.pk == followee.pk:
        raise ValidationError(_("You cannot follow yourself."))
    if followee.pk in Viewer.of(follower).ties.blocked:
        raise ValidationError(_("You cannot follow someone you blocked or who blocked you."))
    try:
        with transaction.atomic():
            _link, created = Follow.objects.get_or_create(follower=follower, followee=followee)
    except IntegrityError:
        return False
    if created:
        inbox.record(inbox.person_followed, follower_id=follower.pk, followee_id=followee.pk)
    return created


def unfollow_person(*, follower: User, followee: User) -> None:
    Follow.objects.filter(follower=follower, followee=followee).delete()


@transaction.atomic
def block_person(*, blocker: User, blocked: User) -> bool:
    """Block someone: their events stop reaching the blocker, and the follows between the two
    end (in both directions). Returns True if this created the block."""
    if blocker.pk == blocked.pk:
        raise ValidationError(_("You cannot block yourself."))
    _block, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    Follow.objects.filter(
        Q(follower=blocker, followee=blocked) | Q(follower=blocked, followee=blocker)
    ).delete()
    return created


def unblock_person(*, blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def forget_old_sign_in_failures() -> int:
    """Deletes django-axes' failure counts older than the cool-off. Axes forgets an old count
    only when the same account fails again from the same address; the rest would pile up."""
    since = timezone.now() - (get_cool_off() or timedelta(0))
    deleted, _rows = AccessAttempt.objects.filter(attempt_time__lt=since).delete()
    return deleted


def lift_sign_in_lock(user: User) -> int:
    """Forgets every failed sign-in counted against this account, from every address: a
    successful password reset proves the person holds the mailbox, so they may sign in now."""
    return reset_sign_in_failures(username=user.username.lower())


# --- the lifecycle: leaving and coming back ---------------------------------------------


def end_sessions(person: User) -> None:
    """Signs the person out everywhere, now: every session they hold stops matching their
    account at its next request (people.models.User._get_session_auth_hash)."""
    User.objects.filter(pk=person.pk).update(session_generation=F("session_generation") + 1)
    person.refresh_from_db(fields=["session_generation"])


@transaction.atomic
def deactivate_person(*, person: User, by: User | None = None) -> bool:
    """What leaving does, whoever decides it (an admin, the directory by SCIM, the identity
    provider refusing a session): they can no longer sign in and every open session ends at
    its next request (the backend refuses inactive accounts); the invitations they sent and
    nobody answered are withdrawn; the guests they sponsored keep access for a grace period
    and their groups' managers are told, so someone else can sponsor them; the site admins
    are told of groups left without an owner or manager. Their posts and comments stay,
    shown as a former colleague's. Returns whether they were active."""
    if not User.objects.filter(pk=person.pk, is_active=True).update(is_active=False):
        return False
    person.is_active = False
    # An update(), which no signal hears: who has left is suggested to nobody (Home's side
    # cards), and rows about them leave the inbox badges.
    generations.move_on_after_commit(generations.VISIBLE)
    # An inactive account is refused at every request already; the sessions are also ended
    # so that coming back (reactivate_person) does not bring an old one back to life, on a
    # laptop handed in at leaving, say.
    end_sessions(person)
    now = timezone.now()
    withdrawn = list(Invitation.objects.filter(invited_by=person, status=Invitation.Status.PENDING))
    Invitation.objects.filter(pk__in=[i.pk for i in withdrawn]).update(
        status=Invitation.Status.REVOKED, decided_at=now
    )
    for invitation in withdrawn:
        inbox.invitation_settled(
            group_id=invitation.group_id, invitee_id=invitation.invitee_id, withdrawn=True
        )
    until = timezone.localdate() + timedelta(days=settings.GUEST_SPONSOR_GRACE_DAYS)
    for guest in User.objects.filter(sponsor=person, is_guest=True, is_active=True):
        ends = min(guest.guest_expires_on or until, until)
        if ends != guest.guest_expires_on:
            User.objects.filter(pk=guest.pk).update(guest_expires_on=ends)
        inbox.record(
            inbox.sponsor_left, guest_id=guest.pk, sponsor_id=person.pk, until=ends.isoformat()
        )
    led = Membership.objects.filter(
        user=person, role__in=[Membership.Role.OWNER, Membership.Role.MANAGER]
    ).values_list("group_id", flat=True)
    for group_id in led:
        still_led = Membership.objects.filter(
            group_id=group_id,
            role__in=[Membership.Role.OWNER, Membership.Role.MANAGER],
            user__is_active=True,
        ).exists()
        if not still_led:
            inbox.record(inbox.group_unmanaged, group_id=group_id, person_id=person.pk)
    return True


@transaction.atomic
def reactivate_person(*, person: User) -> bool:
    """Access comes back; group roles are what they are now (someone may have taken over
    meanwhile), invitations withdrawn stay withdrawn. Returns whether they were inactive."""
    updated = User.objects.filter(pk=person.pk, is_active=False).update(is_active=True)
    person.is_active = True
    generations.move_on_after_commit(generations.VISIBLE)
    return bool(updated)
