"""The search page: one box, four tabs, any input gives a clear page, a fixed number of
queries whatever the number of results, and nothing the viewer may not see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from groups import services as group_services
from groups.models import Group
from people.models import User
from posts import services as post_services
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db

HIT_RE = re.compile(r'<article class="card post search-hit"')


def get(client, **params):
    return client.get(reverse("search"), params)


def summary(html: str) -> str:
    found = re.search(r'<p class="search-summary" role="status">(.*?)</p>', html, re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def test_the_navigation_has_one_search_box_leading_here(member_client):
    html = member_client.get(reverse("home")).content.decode()

    assert html.count('role="search"') == 1
    assert f'action="{reverse("search")}"' in html and 'name="q"' in html
    assert "coming soon" not in html


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = get(client, q="anything")

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_posts_tab_shows_ranked_highlighted_hits(member_client, colleague):
    make_post(colleague, "Budget planning for **next** year")
    post = make_post(colleague, "Unrelated")
    post_services.add_comment(post=post, author=colleague, body="the budget is approved")

    html = get(member_client, q="budget").content.decode()

    assert len(HIT_RE.findall(html)) == 2
    assert summary(html).startswith("2 posts match.")
    assert "<mark>Budget</mark> planning for next year" in html
    assert "Comment by Carl Colleague" in html and "the <mark>budget</mark> is approved" in html
    assert f'href="{post.get_absolute_url()}#comment-' in html


def test_question_and_answered_labels(member_client, colleague, member):
    post_services.create_post(author=colleague, body="How do I book a desk?", is_question=True)
    answered = post_services.create_post(
        author=colleague, body="How do I book a room?", is_question=True
    )
    reply = post_services.add_comment(post=answered, author=member, body="Use the app")
    post_services.accept_answer(post=answered, comment=reply, by=colleague)
    post_services.create_post(author=colleague, body="I booked a plane")

    html = get(member_client, q="book").content.decode()

    # The same labels as everywhere else: two questions, one answered, the plain post none.
    assert html.count('class="badge badge-question">Question<') == 2
    assert html.count('class="badge badge-answered"') == 1
    assert f"#comment-{reply.pk}" in html


def test_post_text_is_escaped_and_only_our_marks_are_markup(member_client, colleague):
    make_post(colleague, 'needle `<img src=x onerror="alert(1)">` and <script>alert(2)</script>')

    html = get(member_client, q="needle").content.decode()

    assert "<mark>needle</mark>" in html
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "x" * 5000,
        "word " * 1000,
        "!!!???...",
        "&|!:*()'\"",
        "'",
        '"unbalanced',
        "a & | b",
        "foo:* & !bar | (baz",
        "\u200b\u200b\u200b",
        "sa\u200bles",
        "\u202egnitekram",
        "<script>alert(1)</script>",
        "%",
        "\\",
        "*",
        # Letters that unaccent turns into tsquery syntax: ' : ( )
        "\u02bc",
        "a\u02d0",
        "\u2474",
        "\u0149 boek",
    ],
)
def test_bad_queries_give_a_clear_page(member_client, colleague, q):
    make_post(colleague, "sales notes about script and word and marketing")

    for tab in ("posts", "people", "groups", "hashtags"):
        response = get(member_client, q=q, tab=tab)
        assert response.status_code == 200, (q, tab)
        html = response.content.decode()
        assert "<script>alert" not in html
        assert ("search-summary" in html) or ("card empty" in html), (q, tab)


def test_a_query_without_letters_says_so(member_client):
    html = get(member_client, q="&|!:*()").content.decode()

    assert "There is nothing to search for in that" in html


def test_zero_width_spaces_do_not_split_a_word(member_client, colleague):
    make_post(colleague, "sales kickoff")

    html = get(member_client, q="sa\u200bles").content.decode()

    assert summary(html).startswith("1 post matches.")


def test_bad_filter_values_are_field_errors_not_error_pages(member_client, colleague):
    make_post(colleague, "quarterly figures")
    cases = [
        {"author": "nobody.here"},
        {"hashtag": "#nosuchtag"},
        {"group": "no-such-group"},
        {"since": "not-a-date"},
        {"since": "2026-05-01", "until": "2026-04-01"},
        {"sort": "random"},
    ]
    for params in cases:
        response = get(member_client, q="quarterly", **params)
        html = response.content.decode()
        assert response.status_code == 200, params
        assert "A filter needs fixing" in html, params
        assert "Fix the filter above to see posts." in html, params
        assert not HIT_RE.search(html), params


def test_filters_apply_to_posts(member_client, member, colleague, outsider):
    group = make_group(colleague, Group.Kind.OPEN, name="Design Guild")
    in_group = make_post(colleague, "figma tips #design", group=group)
    make_post(outsider, "figma licences")
    old = make_post(colleague, "figma history", created_at=timezone.now() - timedelta(days=90))

    def hits(**filters):
        html = get(member_client, q="figma", **filters).content.decode()
        return {int(n) for n in re.findall(r'id="hit-(\d+)"', html)}

    assert len(hits()) == 3
    assert hits(author="@carl.colleague") == {in_group.pk, old.pk}
    assert hits(group=group.slug) == {in_group.pk}
    assert hits(hashtag="#Design") == {in_group.pk}
    assert hits(until=(timezone.now() - timedelta(days=30)).date().isoformat()) == {old.pk}


def test_a_group_filter_cannot_name_a_secret_group(member_client, colleague):
    secret = make_group(colleague, Group.Kind.SECRET, name="Hush Hush")
    make_post(colleague, "hush plans", group=secret)

    page = get(member_client, q="plans").content.decode()
    filtered = get(member_client, q="plans", group=secret.slug).content.decode()

    assert "Hush Hush" not in page and "Hush Hush" not in filtered
    assert secret.slug not in page
    assert "Select a valid choice" in filtered and not HIT_RE.search(filtered)


def test_an_author_filter_cannot_reveal_a_hidden_person_to_a_guest(colleague):
    from django.test import Client

    guest = UserFactory(username="gil.guest", is_guest=True, sponsor=colleague)
    shared = make_group(colleague, Group.Kind.PRIVATE, name="Client", allow_guests=True)
    add_member(shared, colleague, guest)
    UserFactory(username="hidden.person")
    client = Client()
    client.force_login(guest)

    hidden = get(client, q="x", author="hidden.person").content.decode()
    missing = get(client, q="x", author="no.such.person").content.decode()

    assert "Nobody you can see has the username" in hidden

    def main(html: str) -> str:
        return html[html.index("<main") : html.index("</main>")]

    assert main(hidden).replace("hidden.person", "NAME") == main(missing).replace(
        "no.such.person", "NAME"
    )


def test_tabs_count_what_the_viewer_may_see(member_client, colleague):
    secret = make_group(colleague, Group.Kind.SECRET, name="Orion secret")
    make_group(colleague, Group.Kind.OPEN, name="Orion open")
    make_post(colleague, "orion launch #orion_launch")
    make_post(colleague, "orion secret stuff #orion_secret", group=secret)
    UserFactory(username="orion.person", first_name="Orion")

    html = get(member_client, q="orion").content.decode()
    tabs = dict(
        re.findall(r">(Posts|People|Groups|Hashtags) <span class=\"tab-count\">(\d+\+?)<", html)
    )

    assert tabs == {"Posts": "1", "People": "1", "Groups": "1", "Hashtags": "1"}


def test_htmx_tab_switch_returns_only_the_results(member_client, colleague):
    UserFactory(username="orion.person", first_name="Orion")

    response = member_client.get(
        reverse("search"), {"q": "orion", "tab": "people"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()

    assert html.lstrip().startswith('<div id="search-results"')
    assert "<html" not in html and "orion.person" in html


# --- query counts: fixed whatever the number of results -----------------------------------


def _populate(author: User, viewer: User, n: int, start: int = 0) -> None:
    group = make_group(author, Group.Kind.OPEN, name=f"Holder {start}")
    for i in range(start, start + n):
        person = UserFactory(username=f"sprinter{i}", first_name=f"Sprinter{i}")
        person.skills.add("sprinting", f"skill{i}")
        if i % 2:
            group_services.join_group(user=person, group=group)
        post = make_post(person, f"sprint note {i} #sprint_{i}", group=group if i % 2 else None)
        post_services.add_comment(post=post, author=viewer, body=f"sprint reply {i}")
        make_group(author, Group.Kind.OPEN, name=f"Sprint team {i}")


# Every tab: 1 session, 1 user, 1 readable groups (the filter's menu), 1 people count,
# 1 groups count, 1 hashtags count, 1 inbox badge.
PAGE_QUERIES = 7
# The posts' tab count: 1 the planner's estimate of how common the words are (EXPLAIN, no
# rows read), 2 matching posts and matching comments, ranked.
POST_MATCH_QUERIES = 3
TAB_QUERIES = {
    # 1 posts of the page; 1 their comments.
    "posts": PAGE_QUERIES + POST_MATCH_QUERIES + 2,
    # 1 people; 1 their skills.
    "people": PAGE_QUERIES + POST_MATCH_QUERIES + 2,
    # 1 groups (with is_member).
    "groups": PAGE_QUERIES + POST_MATCH_QUERIES + 1,
    # 1 hashtags (with is_followed).
    "hashtags": PAGE_QUERIES + POST_MATCH_QUERIES + 1,
}


@pytest.mark.parametrize("tab", list(TAB_QUERIES))
def test_each_tab_costs_the_same_few_queries_for_3_or_23_results(
    member_client, member, colleague, tab, django_assert_max_num_queries
):
    _populate(colleague, member, 3)
    with django_assert_max_num_queries(TAB_QUERIES[tab]):
        html = get(member_client, q="sprint", tab=tab).content.decode()
    assert "3 " in summary(html) or "More than" in summary(html)

    _populate(colleague, member, 20, start=3)
    with django_assert_max_num_queries(TAB_QUERIES[tab]):
        html = get(member_client, q="sprint", tab=tab).content.decode()
    assert "23 " in summary(html), summary(html)


def test_an_empty_query_runs_no_search_query(member_client, django_assert_max_num_queries):
    # 1 session, 1 user, 1 readable groups (the filter's menu), 1 inbox badge.
    with django_assert_max_num_queries(4):
        assert get(member_client, q="").status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30", "yesterday"])
def test_an_impossible_date_filter_is_a_message_not_an_error(member_client, colleague, day):
    make_post(colleague, "sprint review notes")
    for field in ("since", "until"):
        response = member_client.get(reverse("search"), {"q": "sprint", field: day})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Choose a date between" in html or "Enter a valid date" in html


def test_nul_characters_in_queries_are_a_clear_400_and_in_names_a_404(member_client):
    # A NUL byte in a query parameter is refused for every page at once
    # (esn.middleware.RefuseNulCharactersMiddleware; tests/esn/test_nul_and_limits.py).
    for url, params in (
        (reverse("search"), {"q": "\x00"}),
        (reverse("search"), {"q": "quarterly", "author": "\x00"}),
        (reverse("questions"), {"group": "\x00"}),
        (reverse("questions"), {"tag": "ab\x00c"}),
    ):
        response = member_client.get(url, params)
        assert response.status_code == 400, params
        assert "holds a NUL character" in response.content.decode()
    assert member_client.post("/hashtags/%00/mute/").status_code == 404
    assert member_client.post("/people/%00/mute/").status_code == 404
    assert member_client.get("/people/%00/").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/groups/%00/", "/groups/%00/members/", "/hashtags/%00/", "/people/%00/follow/"],
)
def test_a_nul_character_in_a_name_in_the_path_is_a_404_on_every_route(member_client, path):
    assert member_client.get(path).status_code == 404


def test_a_name_search_opens_on_the_tab_that_has_results(member_client):
    import re as regex

    from tests.factories import UserFactory

    UserFactory(username="marieke.devries", first_name="Marieke", last_name="de Vries")

    def current_tab(params) -> str:
        html = member_client.get(reverse("search"), params).content.decode()
        [tab] = regex.findall(r'tab=(\w+)[^"]*" hx-get="[^"]*"[^>]*aria-current="page"', html)
        return tab

    assert current_tab({"q": "marieke"}) == "people"
    # Asked for the Posts tab by name, it stays there.
    assert current_tab({"q": "marieke", "tab": "posts"}) == "posts"
