"""What the pickers offer as one types: people after "@" (the composer, comments, invitations)
and hashtags after "#". JSON for esn.js; every answer comes through the access layer (a guest
is offered the members of their groups, blocked people never)."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from esn.textsearch import query_words
from esn.typing import HtmxHttpRequest
from groups.selectors import groups_for_picker
from hashtags.selectors import hashtags_for_picker, search_hashtags
from people.selectors import people_for_picker

# Shorter text offers too much to be useful: the pickers start at two letters.
MIN_LENGTH = 2
# The search box offers this many of each kind.
SEARCH_EACH = 3


@require_GET
@never_cache
def people(request: HtmxHttpRequest) -> JsonResponse:
    text = request.GET.get("q", "")[:100]
    found = people_for_picker(request.viewer, text) if len(text.strip()) >= MIN_LENGTH else []
    return JsonResponse(
        {
            "results": [
                {
                    "handle": person.username,
                    "name": person.display_name,
                    "title": person.title,
                    "department": str(person.department or ""),
                    "initials": person.initials,
                    "avatar": person.avatar_url,
                }
                for person in found
            ]
        }
    )


@require_GET
@never_cache
def search(request: HtmxHttpRequest) -> JsonResponse:
    """The search box as one types: a few people, groups and hashtags, each leading to its
    page (Enter still opens the full results)."""
    text = request.GET.get("q", "")[:100]
    words = query_words(text)
    if len(text.strip()) < MIN_LENGTH or not words:
        return JsonResponse({"results": []})
    results = [
        {
            "name": p.display_name,
            "more": " · ".join(filter(None, [_("Person"), p.title])),
            "url": p.get_absolute_url(),
        }
        for p in people_for_picker(request.viewer, text, limit=SEARCH_EACH)
    ]
    results += [
        {"name": g.name, "more": _("Group"), "url": g.get_absolute_url()}
        for g in groups_for_picker(request.viewer, words, limit=SEARCH_EACH)
    ]
    results += [
        {"name": f"#{t.name}", "more": _("Hashtag"), "url": t.get_absolute_url()}
        for t in search_hashtags(request.viewer, words)[:SEARCH_EACH]
    ]
    return JsonResponse({"results": results})


@require_GET
@never_cache
def hashtags(request: HtmxHttpRequest) -> JsonResponse:
    text = request.GET.get("q", "")[:100]
    found = hashtags_for_picker(request.viewer, text) if len(text.strip()) >= MIN_LENGTH else []
    return JsonResponse(
        {
            "results": [
                {"handle": tag.name, "name": f"#{tag.name}", "uses": tag.uses} for tag in found
            ]
        }
    )
