"""One way to name a new account, whoever makes it (a CSV import, a first single sign-on, a
guest invited to a group): people.services.free_username."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.validators import UnicodeUsernameValidator

from people.services import USERNAME_MAX_LENGTH, free_username
from posts.markup import MENTION_RE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("Nina.Peeters@Example.com", "nina.peeters"),
        ("ann-marie", "ann-marie"),
        ("José Núñez", "josenunez"),
        ("o'brien+news@example.com", "obrien+news"),
        ("--.ann.--", "ann"),
        ("Łukasz", "łukasz"),  # no decomposition: kept, Django allows any letter
    ],
)
def test_a_base_becomes_a_lowercased_username_of_django_characters(base, expected):
    name = free_username(base)
    assert name == expected
    UnicodeUsernameValidator()(name)


def test_nothing_usable_in_the_base_gives_the_fallback():
    assert free_username("@example.com") == "person"
    assert free_username("!!!", fallback="guest") == "guest"


def test_a_taken_name_gets_the_next_free_suffix_whatever_the_case():
    UserFactory(username="Ann")
    UserFactory(username="ann-2")

    assert free_username("ann@example.com") == "ann-3"


def test_a_name_that_only_looks_like_a_suffix_is_not_confused_with_one():
    UserFactory(username="ann-2")

    assert free_username("ann") == "ann"
    assert free_username("ann-2") == "ann-2-2"


def test_many_taken_names_are_skipped_past_one_batch_of_candidates():
    UserFactory(username="bo")
    for n in range(2, 26):
        UserFactory(username=f"bo-{n}")

    assert free_username("bo") == "bo-26"


def test_the_maximum_length_holds_with_the_suffix():
    long = "a" * 200
    first = free_username(long)
    assert first == "a" * USERNAME_MAX_LENGTH
    UserFactory(username=first)

    second = free_username(long)

    assert second == "a" * (USERNAME_MAX_LENGTH - 2) + "-2"
    assert len(second) == USERNAME_MAX_LENGTH


def test_a_cut_never_leaves_punctuation_before_the_suffix():
    base = "a" * (USERNAME_MAX_LENGTH - 3) + ".bcd"
    UserFactory(username=free_username(base))

    assert free_username(base) == "a" * (USERNAME_MAX_LENGTH - 3) + "-2"


def test_with_the_names_given_the_database_is_not_asked_and_the_choice_is_remembered(
    django_assert_num_queries,
):
    taken = {"nina", "nina-2"}
    with django_assert_num_queries(0):
        first = free_username("nina@example.com", taken)
        second = free_username("NINA@example.org", taken)
    assert (first, second) == ("nina-3", "nina-4")
    assert {"nina-3", "nina-4"} <= taken


def test_a_mention_of_the_name_reads_the_whole_name():
    name = free_username("ann.")
    assert re.search(MENTION_RE, f"hi @{name}.").group(1) == name
