from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from esn.singleton import SiteSettingsRow
from esn.text import clean_name
from esn.textsearch import folded, name_words


class LanguageSettings(SiteSettingsRow):
    """The site's language for everyone who has not chosen their own. One row, cached;
    refreshed when an admin saves."""

    CACHE_KEY = "people:language-settings:v1"

    default_language = models.CharField(
        _("default language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("For everyone who has not chosen their own language."),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("language")

    def __str__(self) -> str:
        return str(_("Site language"))


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def avatar_path(instance: User, filename: str) -> str:
    # Unguessable names: nothing about the person in the path.
    return f"avatars/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class User(AbstractUser):
    """An employee (guests arrive with the groups issue). The profile lives on the user row:
    every list of posts shows the author's name and title, so it is one join, not two."""

    title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    bio = models.TextField(_("about me"), max_length=2000, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_path, blank=True)
    skills = TaggableManager(_("skills"), blank=True, help_text=_("Comma-separated"))
    # External guests (clients, partners, contractors) see only the groups they joined.
    is_guest = models.BooleanField(
        _("external guest"),
        default=False,
        help_text=_("Sees only the groups they were invited to and accepted."),
    )
    sponsor = models.ForeignKey(
        "self",
        verbose_name=_("sponsor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sponsored_guests",
        help_text=_("The employee responsible for this guest."),
    )
    organisation = models.CharField(
        _("organisation"),
        max_length=100,
        blank=True,
        db_default="",
        help_text=_("A guest's own company (client, partner), shown with the Guest badge."),
    )
    guest_expires_on = models.DateField(
        _("access ends on"),
        null=True,
        blank=True,
        help_text=_("After this day the guest cannot sign in and their sessions end."),
    )
    # Accounts that are not colleagues (the site admin's own login, integrations): nobody
    # is offered them to follow or mention, but their posts and profile stay reachable.
    is_service_account = models.BooleanField(
        _("service account"),
        default=False,
        db_default=False,
        help_text=_(
            "Not a colleague (an admin or integration login): hidden from the people "
            "directory, people search, suggestions and pickers. Its profile and posts stay "
            "reachable."
        ),
    )
    # When the person last used the site (to a few minutes): digests leave out what they
    # have had the chance to see in the app.
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    # The language the site and its emails speak to this person; empty: the site's default
    # (LanguageSettings), which the browser's language fills in at the first sign-in.
    language = models.CharField(
        _("language"), max_length=8, blank=True, db_default="", choices=settings.LANGUAGES
    )
    # The languages this person reads (codes); the feed can be limited to posts in them.
    reads_languages = ArrayField(
        models.CharField(max_length=8),
        verbose_name=_("languages I read"),
        default=list,
        db_default=[],
        blank=True,
    )
    only_read_languages_in_feed = models.BooleanField(
        _("show only posts in the languages I read"), default=False, db_default=False
    )
    # Consent first: suggesting experts from what people write is itself a measurement of
    # them, so nobody is listed under "Who knows" until they say so (existing people too).
    listed_as_knowing = models.BooleanField(
        _("list me under 'Who knows' on hashtag pages"),
        default=False,
        db_default=False,
        help_text=_(
            "Colleagues who look at a hashtag see you listed as someone who knows about it, "
            "with the number of your posts and answers on it and whether it is one of your "
            "skills. Off: you are never suggested, whatever you write."
        ),
    )
    # Raised to end every session of this person at once, on every device (leaving, or the
    # identity provider refusing them): it is part of the hash each session must match.
    # Database defaults on the columns added since the first release: bench/ scripts and
    # other raw inserts that do not name them keep working.
    session_generation = models.PositiveIntegerField(
        _("session generation"), default=0, db_default=0, editable=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The name and username, lowercased, accents folded and separators as spaces, kept by
    # PostgreSQL: the people picker matches word starts in it without folding 10,000 names on
    # every keystroke.
    search_name = models.GeneratedField(
        expression=name_words("first_name", "last_name", "username"),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("name for search"),
    )
    # The name, username and job title, lowercased and accents folded, kept by PostgreSQL:
    # the search page matches each word against it on every search (folding 10,000
    # profiles per search took 20 to 40 ms). The department and location are matched in
    # their own small tables (people.selectors.search_people).
    search_profile = models.GeneratedField(
        expression=folded("first_name", "last_name", "username", "title"),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("profile for search"),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(Lower("username"), name="people_user_username_lower"),
            # Trigrams answer the pickers' word-start tests (esn.textsearch.name_word_start)
            # from the index instead of a regular expression over every person.
            GinIndex(
                fields=["search_name"], name="people_user_search_trgm", opclasses=["gin_trgm_ops"]
            ),
        ]
        permissions = [
            (
                "administer_site",
                "Can administer the site: read every group, the site moderation queue",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs) -> None:
        # Names are shown on every post: no zero-width or right-to-left override characters
        # that would make one person look like another.
        self.first_name, self.last_name = clean_name(self.first_name), clean_name(self.last_name)
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Generation 0 keeps Django's own hash, so adding this ended nobody's session.
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "people.User.session_auth_hash",
            f"{self.password}|{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self) -> None:
        super().clean()
        if self.is_guest:
            errors = {}
            if self.is_staff or self.is_superuser:
                errors["is_guest"] = _("A guest cannot be staff or an administrator.")
            if self.sponsor_id is None:
                errors["sponsor"] = _("A guest needs a sponsor: the employee who invited them.")
            elif self.sponsor.is_guest:
                errors["sponsor"] = _("A guest's sponsor must be an employee, not a guest.")
            if errors:
                raise ValidationError(errors)

    @property
    def guest_expired(self) -> bool:
        return (
            self.is_guest
            and self.guest_expires_on is not None
            and self.guest_expires_on < timezone.localdate()
        )

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p] or [self.username]
        return "".join(p[0] for p in parts[:2]).upper()

    def get_absolute_url(self) -> str:
        return reverse("people:profile", args=[self.username])

    @property
    def avatar_url(self) -> str:
        """The avatar through the access-checked view; the stored file's random name is the
        version, so a replaced photo is not taken from the browser's cache."""
        if not self.avatar:
            return ""
        version = PurePath(self.avatar.name).stem[:12]
        return f"{reverse('people:avatar', args=[self.username])}?v={version}"


class Follow(models.Model):
    """A person following another person: their posts come into the follower's home feed."""

    follower = models.ForeignKey(
        User,
        verbose_name=_("who follows"),
        on_delete=models.CASCADE,
        related_name="following_links",
    )
    followee = models.ForeignKey(
        User,
        verbose_name=_("whom they follow"),
        on_delete=models.CASCADE,
        related_name="follower_links",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="people_follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")), name="people_follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"], name="people_follow_followee")]

    def __str__(self) -> str:
        return f"{self.follower} → {self.followee}"


class Block(models.Model):
    """One person blocking another. The blocked person's events (mentions, replies, likes,
    follows) no longer reach the blocker's inbox or digest, and neither follows the other."""

    blocker = models.ForeignKey(
        User, verbose_name=_("blocked by"), on_delete=models.CASCADE, related_name="blocking_links"
    )
    blocked = models.ForeignKey(
        User,
        verbose_name=_("blocked person"),
        on_delete=models.CASCADE,
        related_name="blocked_by_links",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="people_block_once"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="people_block_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"
