from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Collate, Lower
from django.urls import reverse
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header
from taggit.models import TaggedItem

from access.hashtags import known_hashtags
from access.people import visible_people, visible_person_q
from esn.textsearch import Unaccent, folded, name_starts_with, name_word_start, word_start
from hashtags.parsing import normalise_hashtag, scan_tag
from people.models import Department, Follow, LanguageSettings, Location, User
from posts.markup import render


def _person_skills() -> QuerySet[TaggedItem]:
    return TaggedItem.objects.filter(content_type__app_label="people", content_type__model="user")


def skill_spellings(skill: str) -> set[str]:
    """The lowercased names a typed skill matches: "code review" also finds the skill
    "Code_review", and "code_review" finds "Code review" (a skill means the hashtag its
    spaces spelled as `_` make)."""
    key = skill.strip().lower()
    return {key, key.replace(" ", "_"), key.replace("_", " ")} if key else set()


def people_directory(
    viewer: Any,
    *,
    query: str = "",
    department: Department | None = None,
    location: Location | None = None,
    skill: str = "",
) -> QuerySet[User]:
    """People the directory lists for the viewer: those they may see, never a service
    account, nobody blocked either way (the cards offer Follow, which a block refuses).
    Filtered by name, title, department or location words, and by department, location
    and skill; alphabetical (the id breaks ties, so pages never overlap). Each with their
    department, location and skills: two queries per page whatever its size."""
    qs = visible_people(viewer, hide_blocked=True, listed=True)
    for word in query.split()[:5]:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(title__icontains=word)
            | Q(department__name__icontains=word)
            | Q(location__name__icontains=word)
        )
    if department is not None:
        qs = qs.filter(department=department)
    if location is not None:
        qs = qs.filter(location=location)
    if skill.strip():
        tagged = _person_skills().annotate(key=Lower("tag__name"))
        qs = qs.filter(pk__in=tagged.filter(key__in=skill_spellings(skill)).values("object_id"))
    # django-stubs does not know taggit's manager supports prefetching; it does (one query).
    people = qs.prefetch_related("skills")  # type: ignore[misc]
    return people.order_by("first_name", "last_name", "username", "pk")


# The directory's skill box suggests this many of the most listed skills.
COMMON_SKILLS = 40


def common_skills(viewer: Any, *, limit: int = COMMON_SKILLS) -> list[str]:
    """The skills most people in the directory list, most listed first (the directory's
    skill box offers them). One query."""
    listed = visible_people(viewer, listed=True).values("pk")
    rows = (
        _person_skills()
        .filter(object_id__in=listed)
        .values("tag__name")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__name")[:limit]
    )
    return [row["tag__name"] for row in rows]


def skill_hashtag_key(name: str) -> str:
    """The hashtag a skill means (spaces read as `_`: "Code review" is #code_review), or ""
    if no hashtag can spell it ("C++")."""
    spelled = name.strip().replace(" ", "_")
    if not spelled or scan_tag(spelled, 0) != spelled:
        return ""
    return normalise_hashtag(spelled)


@dataclass
class SkillChip:
    name: str
    url: str  # the hashtag's page, else the directory filtered by the skill, else ""


@dataclass
class ProfileText:
    bio_html: str
    skills: list[SkillChip]


def profile_text(viewer: Any, person: User, *, directory: bool) -> ProfileText:
    """A profile's bio, rendered by the posts' markdown pipeline (bold, lists, links,
    #hashtags, @mentions), and its skills as chips. A hashtag (in the bio or a skill's) links
    only if the viewer may open its page; a skill without one leads to the directory
    filtered by it when the viewer may use the directory (`directory`). An @mention links
    only to a profile the viewer may open. At most two queries, none for a plain bio and no
    skills."""
    skills = [tag.name for tag in person.skills.all()]
    first = render(person.bio) if person.bio else None
    keys = {skill_hashtag_key(name) for name in skills} - {""}
    if first:
        keys |= {normalise_hashtag(name) for name in first.hashtags}
    known = (
        set(known_hashtags(viewer).filter(slug__in=keys).values_list("slug", flat=True))
        if keys
        else set()
    )
    bio_html = ""
    if first:
        people: dict[str, User] = {}
        if first.mentions:
            wanted = {m.lower() for m in first.mentions}
            people = {
                u.username.lower(): u
                for u in visible_people(viewer)
                .annotate(lname=Lower("username"))
                .filter(lname__in=wanted)
            }
        bio_html = render(
            person.bio,
            resolve_mention=lambda name: (
                people[name.lower()].get_absolute_url() if name.lower() in people else None
            ),
            link_hashtag=lambda name: normalise_hashtag(name) in known,
        ).html
    chips = []
    for name in skills:
        key = skill_hashtag_key(name)
        if key in known:
            url = reverse("hashtags:detail", args=[key])
        elif directory:
            url = f"{reverse('people:directory')}?{urlencode({'skill': name})}"
        else:
            url = ""
        chips.append(SkillChip(name=name, url=url))
    return ProfileText(bio_html=bio_html, skills=chips)


def following_of(viewer: Any, person: User) -> QuerySet[User]:
    """Whom `person` follows, of the people the viewer may see."""
    return (
        visible_people(viewer)
        .filter(follower_links__follower=person)
        .order_by("first_name", "last_name")
    )


def followers_of(viewer: Any, person: User) -> QuerySet[User]:
    """Who follows `person`, of the people the viewer may see."""
    return (
        visible_people(viewer)
        .filter(following_links__followee=person)
        .order_by("first_name", "last_name")
    )


def follow_counts(viewer: Any, person: User) -> dict[str, int]:
    """The counts of the lists above: only people the viewer may see are counted."""
    return {
        "following": Follow.objects.filter(
            visible_person_q(viewer, "followee__"), follower=person
        ).count(),
        "followers": Follow.objects.filter(
            visible_person_q(viewer, "follower__"), followee=person
        ).count(),
    }


def is_following(follower: User, followee: User) -> bool:
    return Follow.objects.filter(follower=follower, followee=followee).exists()


# Words of a search that must each match somewhere in a profile.
MAX_PEOPLE_SEARCH_WORDS = 5


def search_people(viewer: User, words: list[str]) -> QuerySet[User]:
    """People `viewer` may see (`visible_people`: a guest meets only the members of their
    groups; no service account) with every word at the start of a word of their name,
    username, title, department, location or one of their skills, accents and case ignored:
    "mar" finds Marieke, "muller" finds Müller. Alphabetical."""
    if not words:
        return User.objects.none()
    qs = visible_people(viewer, listed=True)
    skills = _person_skills().annotate(skill=Unaccent(Lower("tag__name")))
    departments = Department.objects.annotate(folded_name=folded("name"))
    locations = Location.objects.annotate(folded_name=folded("name"))
    for word in words[:MAX_PEOPLE_SEARCH_WORDS]:
        pattern = word_start(word)
        # A word has no spaces, so it matches the profile, the department or the location
        # exactly where it would have matched all of them joined by spaces.
        qs = qs.filter(
            Q(search_profile__regex=pattern)
            | Q(department__in=departments.filter(folded_name__regex=pattern).values("pk"))
            | Q(location__in=locations.filter(folded_name__regex=pattern).values("pk"))
            | Q(pk__in=skills.filter(skill__regex=pattern).values("object_id"))
        )
    # Whose name starts with the first word comes before whose department or skill does
    # (`search_name`: the folded name and username, stored).
    by_name = Case(
        When(Q(search_name__regex=word_start(words[0])), then=Value(0)), default=Value(1)
    )
    return qs.order_by(by_name, "first_name", "last_name", "username")


# People offered by the @mention and invitation pickers.
PICKER_LIMIT = 8


def people_for_picker(viewer: Any, text: str, *, limit: int = PICKER_LIMIT) -> list[User]:
    """People the viewer may see, nobody blocked either way and no service account, whose
    name or username has a word starting with each word of `text` (accents and case
    ignored: "zoe" and "mulder" both find Zoë Mulder). Whose first name starts with it first, then alphabetical. One
    query, with their department."""
    words = text.split()[:3]
    if not words:
        return []
    qs = visible_people(viewer, hide_blocked=True, listed=True)
    for word in words:
        qs = qs.filter(name_word_start("search_name", word))
    # The stored name starts with the first name.
    first = Case(When(name_starts_with("search_name", words[0]), then=Value(0)), default=Value(1))
    # Alphabetical by the stored name (first name, last name, username, already folded), in
    # byte order: the language-aware collation made sorting 10,000 matches cost ~7 ms.
    return list(qs.order_by(first, Collate("search_name", "C"))[:limit])


# --- Languages (issue 14) -------------------------------------------------------------------
# The site speaks settings.LANGUAGES. A person's own choice (`User.language`) wins; who never
# chose reads the site's default (LanguageSettings, cached); a visitor who is not signed in
# reads their cookie's or their browser's language (esn.middleware.LanguageMiddleware).


def site_language() -> str:
    """The site's default language (an admin's choice, cached: no query on a warm cache)."""
    return LanguageSettings.current().default_language or settings.LANGUAGE_CODE


def language_of(user: Any, *, site_default: str | None = None) -> str:
    """The language pages and emails speak to `user`: their own choice, else the site's
    default (`site_default` when the caller already read it for a batch). Anyone without a
    `language` (an anonymous user) gets the site's default."""
    chosen = getattr(user, "language", "")
    if chosen and chosen in dict(settings.LANGUAGES):
        return chosen
    return site_default or site_language()


def supported_language(code: str) -> str | None:
    """One of our languages for a code as browsers and cookies spell it ("de-AT" is "de"),
    or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language(accept_language: str) -> str | None:
    """The best of our languages in an Accept-Language header, by the browser's order of
    preference, or None when it names none of them."""
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        if code == "*":
            break
        found = supported_language(code)
        if found:
            return found
    return None


def requested_language(request) -> str | None:
    """The language a visitor asks for, if it is one of ours: the one they picked on the
    sign-in page (the language cookie, set by Django's set_language view), else the best of
    ours their browser asks for (Accept-Language)."""
    return supported_language(
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    ) or browser_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))


def visitor_language(request) -> str:
    """The language for someone not signed in: what they ask for, else the site's default."""
    return requested_language(request) or site_language()
