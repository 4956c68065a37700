from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import DepartmentFactory, LocationFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests run over plain http with the production-safe defaults otherwise.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Real password hashing is deliberately slow; tests create hundreds of accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture
def member(db):
    """An ordinary employee: the viewer in most tests."""
    return UserFactory(
        username="mia.member",
        first_name="Mia",
        last_name="Member",
        department=DepartmentFactory(name="Sales"),
        location=LocationFactory(name="Utrecht"),
    )


@pytest.fixture
def colleague(db):
    return UserFactory(
        username="carl.colleague",
        first_name="Carl",
        last_name="Colleague",
        department=DepartmentFactory(name="Engineering"),
    )


@pytest.fixture
def outsider(db):
    """An employee who follows nothing and no one."""
    return UserFactory(username="olga.outsider", first_name="Olga", last_name="Outsider")


@pytest.fixture
def admin(db):
    return UserFactory(username="ada.admin", is_staff=True, is_superuser=True)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
