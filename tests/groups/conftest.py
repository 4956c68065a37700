from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from groups.models import Group
from tests.factories import UserFactory
from tests.groups.helpers import make_group


@pytest.fixture
def owner(db):
    return UserFactory(username="otto.owner", first_name="Otto", last_name="Owner")


@pytest.fixture
def guest(owner):
    """An external guest sponsored by an employee, with access until next month."""
    return UserFactory(
        username="gina.guest",
        first_name="Gina",
        last_name="Guest",
        is_guest=True,
        sponsor=owner,
        guest_expires_on=timezone.localdate() + timedelta(days=30),
    )


@pytest.fixture
def open_group(owner):
    return make_group(owner, Group.Kind.OPEN, name="Open Kitchen")


@pytest.fixture
def private_group(owner):
    return make_group(owner, Group.Kind.PRIVATE, name="Private Pricing")


@pytest.fixture
def secret_group(owner):
    return make_group(owner, Group.Kind.SECRET, name="Secret Merger")
