"""What applies to a person: their own choice where they made one, the site default where
they did not. Read here, written here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from digests.models import DigestChoice, Frequency, Level, SiteSettings, SourceChoice, SourceKind
from people.models import User


def effective_frequency(user: User, site: SiteSettings | None = None) -> str:
    site = site or SiteSettings.current()
    if user.is_guest and not site.guests_get_digests:
        return Frequency.OFF
    choice = DigestChoice.objects.filter(user=user).values_list("frequency", flat=True).first()
    return choice or site.digest_frequency


def source_levels(user: User, kind: str, object_ids, site: SiteSettings | None = None) -> dict:
    """{object_id: level} for the given sources, defaults filled in, in one query."""
    site = site or SiteSettings.current()
    chosen = dict(
        SourceChoice.objects.filter(
            user=user, kind=kind, object_id__in=list(object_ids)
        ).values_list("object_id", "level")
    )
    default = site.default_level(kind)
    return {pk: chosen.get(pk, default) for pk in object_ids}


@transaction.atomic
def set_frequency(*, user: User, frequency: str, time_zone: str | None = None) -> None:
    """`frequency` "" means: follow the site default from now on."""
    if frequency and frequency not in Frequency.values:
        raise ValidationError(_("Choose off, daily or weekly."))
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
    if not level:
        SourceChoice.objects.filter(user=user, kind=kind, object_id=object_id).delete()
        return
    if level not in Level.values:
        raise ValidationError(_("Choose feed and digest, feed only, or muted."))
    SourceChoice.objects.update_or_create(
        user=user, kind=kind, object_id=object_id, defaults={"level": level}
    )


def people_on_the_default() -> QuerySet[User]:
    """Active people whose digest frequency is the site default (they never chose one)."""
    chose = DigestChoice.objects.exclude(frequency="").values("user_id")
    return User.objects.filter(is_active=True).exclude(pk__in=chose)
