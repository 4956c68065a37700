"""Each person's permissions are kept in the cache (people.backends.AccountBackend), and every
grant or withdrawal, direct or through a permission group, shows on the very next check."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission

from access.actions import MAKE_ANNOUNCEMENT, can_announce
from people.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The person as the next request loads them: a new object, nothing cached on it."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def announce() -> Permission:
    return Permission.objects.get(codename="make_announcement")


def test_a_second_request_asks_the_database_nothing(django_assert_num_queries):
    person = UserFactory()
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)  # warms the cache
    reloaded = fresh(person)
    with django_assert_num_queries(0):
        assert not reloaded.has_perm(MAKE_ANNOUNCEMENT)
        assert not can_announce(reloaded)


def test_a_direct_grant_and_its_withdrawal_show_at_once(announce):
    person = UserFactory()
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    person.user_permissions.add(announce)
    assert fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    assert can_announce(fresh(person))
    person.user_permissions.remove(announce)
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    person.user_permissions.add(announce)
    assert fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    person.user_permissions.clear()
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)


def test_a_permission_group_its_members_and_its_permissions(announce):
    person = UserFactory()
    editors = PermissionGroup.objects.create(name="Editors")
    editors.permissions.add(announce)
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)

    person.groups.add(editors)  # joining the group
    assert fresh(person).has_perm(MAKE_ANNOUNCEMENT)

    editors.permissions.remove(announce)  # the group loses it
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)

    editors.permissions.add(announce)
    assert fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    editors.user_set.remove(person)  # leaving, from the group's side
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)

    person.groups.add(editors)
    assert fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    editors.delete()
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)


def test_becoming_a_superuser_or_leaving_shows_at_once():
    person = UserFactory()
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    User.objects.filter(pk=person.pk).update(is_superuser=True)  # no signal: the key holds it
    assert fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)


def test_people_do_not_share_an_answer(announce):
    holder, other = UserFactory(), UserFactory()
    holder.user_permissions.add(announce)
    assert fresh(holder).has_perm(MAKE_ANNOUNCEMENT)
    assert not fresh(other).has_perm(MAKE_ANNOUNCEMENT)


def test_without_the_cache_the_database_decides(announce, monkeypatch):
    """Redis away (esn/cache.py takes its errors as misses): every check asks the database."""
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    person = UserFactory()
    assert not fresh(person).has_perm(MAKE_ANNOUNCEMENT)
    person.user_permissions.add(announce)
    assert fresh(person).has_perm(MAKE_ANNOUNCEMENT)
