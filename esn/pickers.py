"""What the pickers offer as one types: people after "@" (the composer, comments, invitations)
and hashtags after "#". JSON for esn.js; every answer comes through the access layer (a guest
is offered the members of their groups, blocked people never)."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from esn.typing import HtmxHttpRequest
from hashtags.selectors import hashtags_for_picker
from people.selectors import people_for_picker

# Shorter text offers too much to be useful: the pickers start at two letters.
MIN_LENGTH = 2


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
                    "avatar": reverse("people:avatar", args=[person.username])
                    if person.avatar
                    else "",
                }
                for person in found
            ]
        }
    )


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
