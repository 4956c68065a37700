"""Full-text search of posts and comments (posts/search.py): what matches, how it is ranked,
filtered and paged, what the snippets show, and that nothing hidden is ever found."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from groups import moderation
from groups.models import Group
from hashtags.models import Hashtag
from posts import search
from posts import services as post_services
from posts.models import Post
from posts.search import PostFilters, highlight, match_posts, search_page
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


def found(user, text: str, filters: PostFilters | None = None, **page) -> list[Post]:
    from esn.textsearch import query_words

    matches = match_posts(user, query_words(text), filters)
    return [hit.post for hit in search_page(user, matches, **page).hits]


def test_finds_a_post_by_a_word_and_the_last_word_by_its_start(member, colleague):
    budget = make_post(colleague, "The quarterly budget review is on Thursday.")
    make_post(colleague, "Lunch menu for Friday.")

    assert found(member, "budget") == [budget]
    assert found(member, "quarterly bud") == [budget]
    # Only the last word is a prefix.
    assert found(member, "quart budget") == []


def test_accents_and_case_do_not_matter(member, colleague):
    cafe = make_post(colleague, "Meet Jürgen Müller at the Café on the corner.")

    for text in ("cafe", "CAFÉ", "muller", "Müller", "jurgen muller"):
        assert found(member, text) == [cafe], text


def test_a_matching_comment_brings_its_post_with_the_comment_snippet(member, colleague):
    post = make_post(colleague, "Anyone tried the new coffee machine?")
    comment = post_services.add_comment(
        post=post, author=member, body="Yes, the **espresso** is great."
    )

    matches = match_posts(member, ["espresso"], None)
    [hit] = search_page(member, matches).hits

    assert hit.post == post and hit.comment == comment
    assert hit.comment_snippet == "Yes, the <mark>espresso</mark> is great."
    # The post itself did not match: its text is shown unmarked.
    assert "<mark>" not in hit.snippet


def test_a_post_matching_itself_and_in_comments_is_one_result(member, colleague):
    post = make_post(colleague, "Release notes for the mobile app")
    post_services.add_comment(post=post, author=member, body="The mobile release looks good")
    post_services.add_comment(post=post, author=colleague, body="mobile mobile mobile")

    matches = match_posts(member, ["mobile"], None)

    assert matches.total == 1
    [hit] = search_page(member, matches).hits
    assert hit.post == post and "<mark>mobile</mark>" in hit.snippet
    assert hit.comment.body == "mobile mobile mobile"  # the best-ranked comment


def test_best_match_ranks_by_relevance_newest_by_time(member, colleague):
    now = timezone.now()
    strong = make_post(
        colleague, "roadmap roadmap: the roadmap for next year", created_at=now - timedelta(days=3)
    )
    weak = make_post(colleague, "A note, and the roadmap link", created_at=now - timedelta(days=1))

    assert found(member, "roadmap") == [strong, weak]
    assert found(member, "roadmap", sort=search.SORT_NEWEST) == [weak, strong]


def test_newest_counts_a_recent_matching_comment_as_recent(member, colleague):
    now = timezone.now()
    old = make_post(colleague, "Old thread about parking", created_at=now - timedelta(days=30))
    newer = make_post(colleague, "Parking rules", created_at=now - timedelta(days=2))
    post_services.add_comment(post=old, author=member, body="parking is full again today")

    assert found(member, "parking", sort=search.SORT_NEWEST) == [old, newer]


def test_hidden_posts_and_comments_are_never_found(member, colleague, outsider):
    owner = colleague
    private = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    secret = make_group(owner, Group.Kind.SECRET, name="Merger")
    add_member(private, owner, member)
    in_private = make_post(owner, "zebra in private", group=private)
    in_secret = make_post(owner, "zebra in secret", group=secret)
    open_group = make_group(owner, Group.Kind.OPEN, name="Open")
    company = make_post(owner, "giraffe for everyone", group=open_group)
    post_services.add_comment(post=in_private, author=owner, body="giraffe said privately")
    post_services.add_comment(post=in_secret, author=owner, body="giraffe said secretly")
    removed = post_services.add_comment(post=company, author=owner, body="okapi removed")
    moderation.remove_comment(comment=removed, user=owner, reason="test")
    gone = make_post(owner, "okapi post removed", group=open_group)
    post_services.add_comment(post=gone, author=owner, body="okapi on a removed post")
    moderation.remove_post(post=gone, user=owner, reason="test")

    assert found(outsider, "zebra") == []
    assert found(outsider, "giraffe") == [company]
    assert match_posts(outsider, ["giraffe"]).total == 1
    assert found(outsider, "okapi") == [] and found(member, "okapi") == []
    assert found(member, "zebra") == [in_private]
    assert set(found(member, "giraffe")) == {company, in_private}
    assert set(found(owner, "zebra")) == {in_private, in_secret}


def test_a_guest_finds_only_what_is_in_their_groups(colleague):
    guest = UserFactory(username="gil.guest", is_guest=True, sponsor=colleague)
    shared = make_group(colleague, Group.Kind.PRIVATE, name="Client project", allow_guests=True)
    add_member(shared, colleague, guest)
    inside = make_post(colleague, "kickoff agenda", group=shared)
    make_post(colleague, "kickoff for the company")
    open_group = make_group(colleague, Group.Kind.OPEN, name="Open")
    make_post(colleague, "kickoff in the open group", group=open_group)

    assert found(guest, "kickoff") == [inside]


def test_signed_out_and_deactivated_people_find_nothing(colleague):
    from django.contrib.auth.models import AnonymousUser

    make_post(colleague, "findable words")
    gone = UserFactory(username="gone", is_active=False)

    assert match_posts(AnonymousUser(), ["findable"]).total == 0
    assert match_posts(gone, ["findable"]).total == 0


def test_filters_narrow_posts_and_comments(member, colleague, outsider):
    now = timezone.now()
    group = make_group(colleague, Group.Kind.OPEN, name="Design")
    by_carl = make_post(colleague, "sprint plan #design", group=group)
    by_olga = make_post(outsider, "sprint retro", created_at=now - timedelta(days=10))
    question = post_services.create_post(author=member, body="Which sprint length works?")
    Post.objects.filter(pk=question.pk).update(is_question=True)
    post_services.add_comment(post=by_olga, author=colleague, body="great sprint everyone")
    design = Hashtag.objects.get(slug="design")

    assert set(found(member, "sprint", PostFilters(author=colleague))) == {by_carl, by_olga}
    assert found(member, "sprint", PostFilters(author=outsider)) == [by_olga]
    assert found(member, "sprint", PostFilters(group=group)) == [by_carl]
    assert found(member, "sprint", PostFilters(hashtag=design)) == [by_carl]
    assert [p.pk for p in found(member, "sprint", PostFilters(questions_only=True))] == [
        question.pk
    ]
    week_ago = (now - timedelta(days=7)).date()
    # The post by Olga is old, but Carl's comment on it is recent.
    assert by_olga in found(member, "sprint", PostFilters(since=week_ago))
    assert found(member, "retro", PostFilters(since=week_ago)) == []
    assert found(member, "retro", PostFilters(until=week_ago)) == [by_olga]
    assert found(member, "sprint", PostFilters(since=week_ago, until=week_ago)) == []


def test_the_window_bounds_what_is_ranked(member, colleague, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 5)
    now = timezone.now()
    posts = [
        make_post(colleague, f"standup note {i}", created_at=now - timedelta(hours=i))
        for i in range(8)
    ]

    matches = match_posts(member, ["standup"])

    assert matches.more and matches.total == 5
    assert {m.post_id for m in matches.matches} == {p.pk for p in posts[:5]}


def test_a_full_post_window_bounds_the_comments_looked_up(member, colleague, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    now = timezone.now()
    posts = [
        make_post(colleague, f"standup note {i}", created_at=now - timedelta(hours=i))
        for i in range(4)
    ]
    old = make_post(colleague, "an old thread", created_at=now - timedelta(days=2))
    revived = make_post(colleague, "another old thread", created_at=now - timedelta(days=2))
    stale = post_services.add_comment(post=old, author=member, body="standup moved")
    stale.created_at = now - timedelta(hours=5)  # older than the window's oldest post
    stale.save(update_fields=["created_at"])
    fresh = post_services.add_comment(post=revived, author=member, body="standup again")

    matches = match_posts(member, ["standup"])

    # The three newest posts fill the window; a comment newer than the oldest of them brings
    # its old post in, an older one does not (as when both lookups were ranked in full).
    assert matches.more
    assert {m.post_id for m in matches.matches} == {p.pk for p in posts[:3]} | {revived.pk}
    [by_comment] = [m for m in matches.matches if m.post_id == revived.pk]
    assert by_comment.comment_id == fresh.pk


@pytest.fixture
def every_word_common(monkeypatch):
    """As if every word were in tens of thousands of posts: the posts lookup then runs
    without bitmap scans or parallel workers."""
    monkeypatch.setattr(search, "COMMON_WORD_ROWS", -1)


def test_common_words_find_the_same_posts_and_nothing_hidden(
    every_word_common, member, colleague, outsider
):
    test_hidden_posts_and_comments_are_never_found(member, colleague, outsider)
    test_a_guest_finds_only_what_is_in_their_groups(colleague)


def _planner_settings() -> dict[str, str]:
    from django.db import connection

    shown = {}
    with connection.cursor() as cursor:
        for name in search._WALK_SETTINGS:
            cursor.execute(f"SHOW {name}")
            shown[name] = cursor.fetchone()[0]
    return shown


def test_common_words_walk_the_time_index_without_seq_scans_or_jit(every_word_common):
    # A date filter on a common word once made the planner read the whole posts table (its
    # estimate of matches in the range was a quarter of the truth): 600 ms at 1M posts, where
    # walking posts_newest takes 15 ms. Both switched off for that lookup only.
    from django.db import connection

    with search._walking_newest_first(True), connection.cursor() as cursor:
        inside = {}
        for name in search._WALK_SETTINGS:
            cursor.execute(f"SHOW {name}")
            inside[name] = cursor.fetchone()[0]
    assert inside == {
        "max_parallel_workers_per_gather": "0",
        "enable_bitmapscan": "off",
        "enable_seqscan": "off",
        "jit": "off",
    }


def test_common_word_planner_settings_end_with_the_lookup(every_word_common, member, colleague):
    # Inside someone else's transaction (as here, the test's), SET LOCAL would last to its
    # end: the search restores both settings itself.
    make_post(colleague, "planning poker")
    before = _planner_settings()

    assert match_posts(member, ["planning"]).total == 1
    assert _planner_settings() == before


@pytest.mark.parametrize("common", [False, True], ids=["word", "common word"])
def test_matching_costs_the_same_few_queries_for_3_or_23_posts(
    member, colleague, monkeypatch, common, django_assert_num_queries
):
    if common:
        monkeypatch.setattr(search, "COMMON_WORD_ROWS", -1)
    # 1 the planner's estimate (EXPLAIN); 1 matching posts; 1 matching comments. A common
    # word adds 1 SET LOCAL before the posts and, inside an open transaction, 1 RESET after.
    expected = 5 if common else 3
    for start, n in ((0, 3), (3, 20)):
        for i in range(start, start + n):
            post = make_post(colleague, f"kanban board {i}")
            post_services.add_comment(post=post, author=member, body=f"kanban card {i}")
        with django_assert_num_queries(expected):
            matches = match_posts(member, ["kanban"])
        assert matches.total == start + n


def test_pages_are_numbered_and_capped(member, colleague, monkeypatch):
    monkeypatch.setattr(search, "PER_PAGE", 2)
    monkeypatch.setattr(search, "MAX_PAGES", 2)
    now = timezone.now()
    posts = [
        make_post(colleague, f"retro item {i}", created_at=now - timedelta(hours=i))
        for i in range(5)
    ]
    matches = match_posts(member, ["retro"])

    first = search_page(member, matches, sort=search.SORT_NEWEST, page=1)
    second = search_page(member, matches, sort=search.SORT_NEWEST, page=2)
    beyond = search_page(member, matches, sort=search.SORT_NEWEST, page=99)

    assert [h.post for h in first.hits] == posts[:2] and first.has_next
    assert [h.post for h in second.hits] == posts[2:4] and not second.has_next
    assert beyond.number == 2 and matches.total == 5


# --- snippets ----------------------------------------------------------------------------


def test_highlight_escapes_everything_but_its_own_marks():
    text = '<script>alert("x")</script> budget <b onmouseover=1>budget</b>'

    out = highlight(text, ["budget"])

    assert "<script" not in out and "<b " not in out
    assert out.count("<mark>budget</mark>") == 2
    assert "&lt;script&gt;" in out


def test_highlight_marks_folded_and_prefixed_words():
    out = highlight("Café Müller opens the standing meeting", ["cafe", "muller", "stand"])

    assert out == "<mark>Café</mark> <mark>Müller</mark> opens the <mark>standing</mark> meeting"


def test_highlight_cuts_long_text_around_the_first_match():
    text = " ".join(f"w{i}" for i in range(200)) + " target " + " ".join("x" * 5 for _ in range(99))

    out = highlight(text, ["target"])

    assert out.startswith("…") and out.endswith("…")
    assert "<mark>target</mark>" in out and len(out) < 320


def test_no_letter_can_break_the_query_syntax(member, colleague):
    """Every character Python counts as part of a word goes to PostgreSQL, which folds
    accents; some fold into tsquery or regex syntax (ʼ to ', ː to :, ⑴ to (1)). None may
    fail, on any tab."""
    from django.db import DatabaseError, transaction

    from esn.textsearch import query_words
    from groups.selectors import search_groups
    from hashtags.selectors import search_hashtags
    from people.selectors import search_people

    make_post(colleague, "the plain word boek")
    # Where unaccent.rules maps letters: Latin, spacing modifiers, letterlike symbols,
    # enclosed alphanumerics.
    blocks = [(0x80, 0x300), (0x1E00, 0x1F00), (0x2100, 0x2150), (0x2460, 0x2500)]
    letters = [chr(c) for a, b in blocks for c in range(a, b) if re.match(r"\w", chr(c))]
    failures = []
    # The other tabs match folded words as regular expressions: ⑴ must not become a group.
    tabs = [
        lambda words: match_posts(member, words),
        lambda words: list(search_people(member, words)),
        lambda words: list(search_groups(member, words)),
        lambda words: list(search_hashtags(member, words)),
    ]
    # Twelve words a query (the most a search takes); each word is one letter and "boek".
    for start in range(0, len(letters), 12):
        chunk = letters[start : start + 12]
        for tab in tabs:
            try:
                with transaction.atomic():
                    tab(query_words(" ".join(f"{c}boek" for c in chunk)))
            except DatabaseError as exc:
                failures.append((chunk, str(exc).splitlines()[0]))
    assert failures == []
    assert match_posts(member, query_words("boek")).total == 1
    # A modifier apostrophe folds into punctuation, as "'boek" would: the word still counts.
    assert match_posts(member, query_words("\u02bcboek")).total == 1
