"""What applies to a person: their own choice where they made one, the site default where
they did not. Read here, written here."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from digests.models import DigestChoice, Frequency, Level, SiteSettings, SourceChoice, SourceKind
from groups import services as group_services
from groups.models import Membership
from people.models import User


def effective_frequency(user: User, site: SiteSettings | None = None) -> str:
    site = site or SiteSettings.current()
    if user.is_guest and not site.guests_get_digests:
        return Frequency.OFF
    choice = DigestChoice.objects.filter(user=user).values_list("frequency", flat=True).first()
    return choice or site.digest_frequency


def source_levels(user: User, kind: str, object_ids, site: SiteSettings | None = None) -> dict:
    """{object_id: level} for the given sources, defaults filled in, in one query (two for
    groups).

    A group's "muted" lives on the membership (the feed and the group page read it there);
    the other levels of a group, and every level of a hashtag or person, are SourceChoice
    rows. One truth per fact."""
    site = site or SiteSettings.current()
    object_ids = list(object_ids)
    chosen = dict(
        SourceChoice.objects.filter(user=user, kind=kind, object_id__in=object_ids).values_list(
            "object_id", "level"
        )
    )
    default = site.default_level(kind)
    levels = {pk: chosen.get(pk, default) for pk in object_ids}
    if kind == SourceKind.GROUP:
        muted = Membership.objects.filter(user=user, group_id__in=object_ids, muted=True)
        for pk in muted.values_list("group_id", flat=True):
            levels[pk] = Level.MUTED
    return levels


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
def set_frequency(*, user: User, frequency: str, time_zone: str | None = None) -> None:
    """`frequency` "" means: follow the site default from now on; `time_zone` "" means the
    site's time zone, None leaves it as it is."""
    if frequency and frequency not in Frequency.values:
        raise ValidationError(_("Choose off, daily or weekly."))
    if time_zone is not None:
        time_zone = check_time_zone(time_zone)
    choice, _created = DigestChoice.objects.select_for_update().get_or_create(user=user)
    choice.frequency = frequency
    if time_zone is not None:
        choice.time_zone = time_zone
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
