from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from scim.models import Token
from scim.services import digest, token_is_valid

pytestmark = pytest.mark.django_db


def test_an_admin_issues_a_token_shown_once_and_revokes_it(client, admin):
    client.force_login(admin)
    response = client.post(reverse("admin:scim_token_add"), {"name": "Entra ID"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [response.content.decode()]
    token = Token.objects.get(name="Entra ID")
    assert token.created_by == admin
    secret = next(
        word.rstrip("—").strip()
        for text in shown
        for word in text.split()
        if len(word) > 30 and digest(word.rstrip("—").strip()) == token.digest
    )
    assert token_is_valid(secret)
    # The list never shows it again: only the digest is stored.
    listing = client.get(reverse("admin:scim_token_changelist")).content.decode()
    assert secret not in listing

    client.post(
        reverse("admin:scim_token_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert not token_is_valid(secret)


def test_a_token_cannot_be_edited(client, admin):
    client.force_login(admin)
    client.post(reverse("admin:scim_token_add"), {"name": "Okta"})
    token = Token.objects.get(name="Okta")
    response = client.post(reverse("admin:scim_token_change", args=[token.pk]), {"name": "Renamed"})
    token.refresh_from_db()
    assert token.name == "Okta"
    assert response.status_code in (200, 403)
