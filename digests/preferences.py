"""What applies to a person: their own choice where they made one, the site default where
they did not. Read here, written here."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from access.actions import receives_digests
from access.viewer import Viewer
from digests.models import (
    DigestChoice,
    Frequency,
    Level,
    SiteSettings,
    SourceChoice,
    SourceKind,
    UnreadEmail,
)
from groups import services as group_services
from groups.models import Membership
from hashtags.models import HashtagFollow
from people.models import Follow, User


def effective_frequency(user: User, site: SiteSettings | None = None) -> str:
    """How often the person gets a digest: off if they may not receive one
    (`access.actions.receives_digests`), else their own choice, else the site's default."""
    site = site or SiteSettings.current()
    if not receives_digests(user, site):
        return Frequency.OFF
    choice = DigestChoice.objects.filter(user=user).values_list("frequency", flat=True).first()
    return choice or site.digest_frequency


def source_levels(user: User, kind: str, object_ids, site: SiteSettings | None = None) -> dict:
    """{object_id: level} for the given sources, defaults filled in (`Ties.level`, the one
    resolution the feed and digests use too). A group's "muted" lives on the membership."""
    site = site or SiteSettings.current()
    ties = Viewer(user).ties
    return {pk: ties.level(kind, pk, site) for pk in object_ids}


def time_zone_of(user: User) -> zoneinfo.ZoneInfo:
    """The zone a person reads times in: their own (notification settings), else the site's.
    Load `digest_choice` with the user (select_related) when doing this for many people."""
    try:
        name = user.digest_choice.time_zone
    except DigestChoice.DoesNotExist:
        name = ""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def check_time_zone(name: str) -> str:
    """The IANA name, or "" for the site's own zone. Raises a readable ValidationError."""
    name = (name or "").strip()
    if not name:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("%(name)s is not a time zone we know. Pick one from the list, e.g. Europe/Berlin.")
            % {"name": name[:64]}
        ) from exc
    return name


@transaction.atomic
def set_frequency(
    *,
    user: User,
    frequency: str,
    time_zone: str | None = None,
    unread_email: str | None = None,
) -> None:
    """`frequency` "" means: follow the site default from now on; `time_zone` "" means the
    site's time zone, None leaves it as it is; `unread_email` likewise ("" the site default,
    None unchanged)."""
    if frequency and frequency not in Frequency.values:
        raise ValidationError(_("Choose off, daily or weekly."))
    if unread_email and unread_email not in UnreadEmail.values:
        raise ValidationError(_("Choose when unread messages are emailed."))
    if time_zone is not None:
        time_zone = check_time_zone(time_zone)
    choice, _created = DigestChoice.objects.select_for_update().get_or_create(user=user)
    choice.frequency = frequency
    if time_zone is not None:
        choice.time_zone = time_zone
    if unread_email is not None:
        choice.unread_email = unread_email
    choice.save()


@transaction.atomic
def set_source_level(*, user: User, kind: str, object_id: int, level: str) -> None:
    """`level` "" means: follow the site default for this kind of source."""
    if kind not in SourceKind.values:
        raise ValidationError(_("Unknown kind of source."))
    if level and level not in Level.values:
        raise ValidationError(_("Choose feed and digest, feed only, or muted."))
    if kind == SourceKind.GROUP:
        # Muting a group is the membership's own switch (see source_levels).
        membership = Membership.objects.filter(user=user, group_id=object_id).first()
        if membership is None:
            raise ValidationError(_("You are not a member of this group."))
        group_services.set_muted(user=user, group=membership.group, muted=level == Level.MUTED)
        if level == Level.MUTED:
            level = ""
    if not level:
        SourceChoice.objects.filter(user=user, kind=kind, object_id=object_id).delete()
        return
    SourceChoice.objects.update_or_create(
        user=user, kind=kind, object_id=object_id, defaults={"level": level}
    )


def people_on_the_default() -> QuerySet[User]:
    """Active people whose digest frequency is the site default (they never chose one)."""
    chose = DigestChoice.objects.exclude(frequency="").values("user_id")
    return User.objects.filter(is_active=True).exclude(pk__in=chose)


@dataclass
class SourceRow:
    """One followed source on the settings page: what it is, its level, and whether that
    level is the site default (no choice of the person's own)."""

    kind: str
    object_id: int
    name: str
    url: str
    level: str
    is_default: bool
    default_label: str = ""


@dataclass
class MySources:
    groups: list[SourceRow]
    hashtags: list[SourceRow]
    people: list[SourceRow]


def my_sources(user: User, site: SiteSettings | None = None) -> MySources:
    """Everything the person follows, with its level, in four queries however much it is."""
    site = site or SiteSettings.current()
    chosen = {
        (kind, object_id): level
        for kind, object_id, level in SourceChoice.objects.filter(user=user).values_list(
            "kind", "object_id", "level"
        )
    }

    def row(kind: str, pk: int, name: str, url: str, muted: bool = False) -> SourceRow:
        default = site.default_level(kind)
        label = str(Level(default).label)
        if muted:
            return SourceRow(kind, pk, name, url, Level.MUTED, False, label)
        level = chosen.get((kind, pk))
        return SourceRow(kind, pk, name, url, level or default, level is None, label)

    groups = [
        row(SourceKind.GROUP, m.group_id, m.group.name, m.group.get_absolute_url(), m.muted)
        for m in Membership.objects.filter(user=user)
        .select_related("group")
        .order_by(Lower("group__name"))
    ]
    hashtags = [
        row(SourceKind.HASHTAG, f.hashtag_id, f"#{f.hashtag.name}", f.hashtag.get_absolute_url())
        for f in HashtagFollow.objects.filter(user=user)
        .select_related("hashtag")
        .order_by(Lower("hashtag__name"))
    ]
    people = [
        row(
            SourceKind.PERSON, f.followee_id, f.followee.display_name, f.followee.get_absolute_url()
        )
        for f in Follow.objects.filter(follower=user, followee__is_active=True)
        .select_related("followee")
        .order_by(Lower("followee__first_name"), Lower("followee__last_name"))
    ]
    return MySources(groups, hashtags, people)


def source_row(user: User, kind: str, object_id: int) -> SourceRow | None:
    """One of the person's own sources, or None if they do not follow / belong to it."""
    sources = my_sources(user)
    rows = {SourceKind.GROUP: sources.groups, SourceKind.HASHTAG: sources.hashtags}.get(
        kind, sources.people
    )
    return next((r for r in rows if r.object_id == object_id and r.kind == kind), None)


def muted_choice(user: User, kind: str, object_id: Any) -> QuerySet[SourceChoice]:
    """The person's choice to mute this person or hashtag (`object_id` may be an `OuterRef`,
    to ask it inside another query, as the hashtag page does)."""
    return SourceChoice.objects.filter(
        user_id=user.pk, kind=kind, object_id=object_id, level=Level.MUTED
    )


def is_muted(user: User, kind: str, object_id: int) -> bool:
    """Whether the person muted this person or hashtag (a group's mute is on the membership)."""
    if not user.is_authenticated:
        return False
    return muted_choice(user, kind, object_id).exists()
