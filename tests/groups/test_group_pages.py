"""Issue 12, group pages: guidelines rendered and shown to people deciding whether to join,
the members page's tabs, one audit row per department invitation, moderation that returns
to the post, and what a guest is told."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from access.groups import can_see_guidelines
from groups import moderation, services
from groups.models import AuditEntry, Group, GroupSettings, Invitation
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import add_member, make_group, pending_request

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
GUIDELINES = "Read before you ask:\n\n1. Be kind.\n2. **No** customer names.\n\n- Decisions go in the pinned post"


def _about_card(html: str) -> str:
    """The group's card, from its name to the end of the side column."""
    return html.split('class="card group-about"', 1)[1].split("</aside>", 1)[0]


# --- 1. guidelines ---------------------------------------------------------------------------


def test_guidelines_render_markdown_for_an_employee_deciding_to_ask_to_join(
    client, owner, outsider
):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing", guidelines=GUIDELINES)
    client.force_login(outsider)

    html = client.get(group.get_absolute_url()).text

    about = _about_card(html)
    assert "<strong>No</strong> customer names" in about
    assert "<ol>" in about and "<li>Be kind.</li>" in about
    assert "<ul>" in about
    assert "**No**" not in html
    # Above the button that asks to join, inside the same card.
    assert about.index("Group guidelines") < about.index("Ask to join")
    # Still not the posts: a private group's card only.
    assert "Members only" in html


def test_guidelines_are_sanitised_like_posts(client, owner, outsider):
    group = make_group(
        owner,
        Group.Kind.OPEN,
        name="Kitchen",
        guidelines="<script>alert(1)</script> [x](javascript:alert(2)) <b onclick='x()'>hi</b>",
    )
    client.force_login(outsider)

    about = _about_card(client.get(group.get_absolute_url()).text)

    assert "<script" not in about and "javascript:" not in about and "onclick" not in about


def test_members_find_the_guidelines_in_their_own_card(client, owner, member):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing", guidelines=GUIDELINES)
    add_member(group, owner, member)
    client.force_login(member)

    html = client.get(group.get_absolute_url()).text

    assert '<details class="card group-guidelines">' in html
    assert "<strong>No</strong>" in html
    assert "group-guidelines-preview" not in html


def test_a_secret_groups_guidelines_never_reach_an_invitee_or_outsider(
    client, owner, member, outsider, admin
):
    group = make_group(owner, Group.Kind.SECRET, name="Merger", guidelines="**Hush** please")
    services.invite(group=group, inviter=owner, people=[member])

    client.force_login(member)  # invited: sees the card, not the guidelines
    invited = client.get(group.get_absolute_url())
    assert invited.status_code == 200 and "Merger" in invited.text
    assert "Hush" not in invited.text and "Group guidelines" not in invited.text

    client.force_login(outsider)
    assert client.get(group.get_absolute_url()).status_code == 404

    client.force_login(admin)  # reads every group
    assert "<strong>Hush</strong>" in client.get(group.get_absolute_url()).text


def test_a_guest_invited_to_a_private_group_reads_its_guidelines_before_accepting(
    client, owner, guest
):
    group = make_group(
        owner, Group.Kind.PRIVATE, name="Partners", guidelines="**Be kind**", allow_guests=True
    )
    hidden = make_group(owner, Group.Kind.PRIVATE, name="Internal", guidelines="**Inside**")
    services.invite(group=group, inviter=owner, people=[guest])
    client.force_login(guest)

    html = client.get(group.get_absolute_url()).text

    assert "<strong>Be kind</strong>" in _about_card(html)
    assert _about_card(html).index("Be kind") < _about_card(html).index("Accept and join")
    assert client.get(hidden.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("kind", "who", "sees"),
    [
        (Group.Kind.OPEN, "outsider", True),
        (Group.Kind.PRIVATE, "outsider", True),
        (Group.Kind.SECRET, "outsider", False),
        (Group.Kind.SECRET, "invitee", False),
        (Group.Kind.SECRET, "member", True),
        (Group.Kind.SECRET, "admin", True),
        (Group.Kind.PRIVATE, "guest", False),  # a guest does not know the group
        (Group.Kind.PRIVATE, "invited_guest", True),
    ],
)
def test_who_may_see_guidelines(kind, who, sees, owner, outsider, admin, guest, member):
    group = make_group(owner, kind, guidelines="Be kind", allow_guests=True)
    people = {"outsider": outsider, "admin": admin, "guest": guest, "member": member}
    if who == "invitee":
        services.invite(group=group, inviter=owner, people=[member])
        people["invitee"] = member
    if who == "invited_guest":
        services.invite(group=group, inviter=owner, people=[guest])
        people["invited_guest"] = guest
    if who == "member":
        add_member(group, owner, member)
    assert can_see_guidelines(people[who], group) is sees


# --- 2. the members page: tabs ------------------------------------------------------------


def test_members_tab_comes_first_with_counts_and_aria_current(client, owner, member, outsider):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    add_member(group, owner, member)
    pending_request(group, outsider, "let me in")
    services.invite(group=group, inviter=owner, people=UserFactory.create_batch(3))
    client.force_login(owner)

    html = client.get(reverse("groups:members", args=[group.slug])).text

    tabs = re.search(r'<nav class="tabs member-tabs".*?</nav>', html, re.S).group(0)
    assert re.search(r'aria-current="page">Members <span class="tab-count">2</span>', tabs)
    assert re.search(r'>Requests <span class="tab-count tab-count-waiting">1</span>', tabs)
    assert re.search(r'>Invitations <span class="tab-count">3</span>', tabs)
    assert tabs.count('aria-current="page"') == 1
    # Members first: the list, not the invite form or the requests.
    assert "Mia Member" in html
    assert "Send invitations" not in html and "let me in" not in html


def test_requests_and_invitations_tabs(client, owner, outsider):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    pending_request(group, outsider, "let me in")
    invitee = UserFactory(first_name="Ivy", last_name="Invitee")
    services.invite(group=group, inviter=owner, people=[invitee])
    client.force_login(owner)

    requests = client.get(reverse("groups:member_requests", args=[group.slug])).text
    invitations = client.get(reverse("groups:member_invitations", args=[group.slug])).text

    assert "let me in" in requests and "Olga Outsider" in requests and "Approve" in requests
    assert "Ivy Invitee" not in requests
    assert "Send invitations" in invitations and "Ivy Invitee" in invitations
    assert invitations.index("Send invitations") < invitations.index("Ivy Invitee")
    assert re.search(r'href="[^"]*/members/invitations/" aria-current="page"', invitations)


def test_a_member_sees_the_members_but_no_tabs_and_no_manager_tab(client, owner, member):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    add_member(group, owner, member)
    client.force_login(member)

    html = client.get(reverse("groups:members", args=[group.slug])).text

    assert "member-tabs" not in html and "Otto Owner" in html
    for name in ("groups:member_requests", "groups:member_invitations"):
        assert client.get(reverse(name, args=[group.slug])).status_code == 403


def test_a_secret_groups_tabs_are_a_404_to_outsiders(client, owner, outsider):
    group = make_group(owner, Group.Kind.SECRET, name="Merger")
    client.force_login(outsider)
    for name in ("groups:members", "groups:member_requests", "groups:member_invitations"):
        assert client.get(reverse(name, args=[group.slug])).status_code == 404


def test_a_guest_member_sees_the_members_tab_only(client, owner, guest):
    group = make_group(owner, Group.Kind.PRIVATE, name="Partners", allow_guests=True)
    add_member(group, owner, guest)
    client.force_login(guest)
    assert client.get(reverse("groups:members", args=[group.slug])).status_code == 200
    assert client.get(reverse("groups:member_requests", args=[group.slug])).status_code == 403


def _grow(group, owner, n):
    """`n` more members, pending requests and pending invitations."""
    for person in UserFactory.create_batch(n):
        add_member(group, owner, person)
    for person in UserFactory.create_batch(n):
        pending_request(group, person, "hello")
    services.invite(group=group, inviter=owner, people=UserFactory.create_batch(n))


@pytest.mark.parametrize(
    ("url_name", "queries"),
    [
        # session, user, the group (visible_groups), the viewer's membership, the requests and
        # reports waiting (one aggregate), the members' count (paging), the invitations'
        # count (its tab), the inbox count (the layout), the members with their departments,
        # the bans.
        ("groups:members", 10),
        # the same first five; the requests' count (paging), the invitations' count, the
        # inbox count, the requests with their people.
        ("groups:member_requests", 9),
        # the same first five; the invitations' count (paging and its tab), the inbox count,
        # departments and locations (the invite form's selects), the invitations with
        # their people.
        ("groups:member_invitations", 10),
    ],
)
def test_each_members_tab_runs_a_bounded_number_of_queries(
    client, owner, url_name, queries, django_assert_max_num_queries
):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    DepartmentFactory(name="Sales")
    LocationFactory(name="Utrecht")
    client.force_login(owner)
    for n in (3, 20):
        _grow(group, owner, n)
        with django_assert_max_num_queries(queries):
            response = client.get(reverse(url_name, args=[group.slug]))
        assert response.status_code == 200


# --- 2b. inviting a department or a location ----------------------------------------------


def test_inviting_a_department_writes_one_audit_row_and_says_so_naturally(client, owner):
    sales = DepartmentFactory(name="Sales")
    UserFactory.create_batch(10, department=sales)
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    client.force_login(owner)

    response = client.post(reverse("groups:invite", args=[group.slug]), {"department": sales.pk})

    assert response["Location"] == reverse("groups:member_invitations", args=[group.slug])
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["10 invitations sent to Sales. Each person decides whether to join."]
    rows = list(AuditEntry.objects.filter(group=group).exclude(action="created"))
    assert len(rows) == 1
    row = rows[0]
    assert row.action == AuditEntry.Action.INVITED_DEPARTMENT
    assert (row.detail, row.people_count, row.target_user) == ("Sales", 10, None)
    assert Invitation.objects.filter(group=group, status="pending").count() == 10

    audit = client.get(reverse("groups:audit", args=[group.slug])).text
    assert "invited a department" in audit and "Sales (10 people)" in audit


def test_one_person_in_a_department_reads_in_the_singular(client, owner):
    solo = DepartmentFactory(name="Legal")
    UserFactory(department=solo)
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    client.force_login(owner)

    response = client.post(
        reverse("groups:invite", args=[group.slug]), {"department": solo.pk}, follow=True
    )

    assert "1 invitation sent to Legal. Each person decides whether to join." in response.text
    assert "Legal (1 person)" in client.get(reverse("groups:audit", args=[group.slug])).text


def test_a_department_partly_in_already_gets_one_line_about_those_left_out(client, owner, member):
    sales = member.department
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    add_member(group, owner, member)
    UserFactory.create_batch(2, department=sales)
    client.force_login(owner)

    response = client.post(reverse("groups:invite", args=[group.slug]), {"department": sales.pk})

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [
        "2 invitations sent to Sales. Each person decides whether to join.",
        "1 person in Sales was not invited: already a member, invited or banned.",
    ]
    client.get(response["Location"])  # the messages are shown, and gone
    response = client.post(reverse("groups:invite", args=[group.slug]), {"department": sales.pk})
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["Everyone in Sales is already a member or invited."]


def test_inviting_a_location_writes_one_audit_row(owner):
    utrecht = LocationFactory(name="Utrecht")
    UserFactory.create_batch(4, location=utrecht)
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")

    sent, _skipped = services.invite_location(group=group, inviter=owner, location=utrecht)

    rows = AuditEntry.objects.filter(group=group, action__startswith="invited")
    assert sent == 4
    assert [(r.action, r.detail, r.people_count) for r in rows] == [
        (AuditEntry.Action.INVITED_LOCATION, "Utrecht", 4)
    ]


def test_people_invited_by_name_keep_one_row_each_and_a_plain_message(client, owner):
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    UserFactory(username="zoe.mulder")
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    client.force_login(owner)

    one = client.post(reverse("groups:invite", args=[group.slug]), {"usernames": "ana.jansen"})
    assert [str(m) for m in get_messages(one.wsgi_request)] == [
        "Invitation sent to Ana Jansen. Each person decides whether to join."
    ]
    client.get(one["Location"])
    two = client.post(
        reverse("groups:invite", args=[group.slug]), {"usernames": "zoe.mulder, ana.jansen"}
    )
    assert [str(m) for m in get_messages(two.wsgi_request)] == [
        "1 invitation sent. Each person decides whether to join.",
        f"{ana} is already invited.",
    ]
    assert AuditEntry.objects.filter(group=group, action="invited").count() == 2


def test_the_audit_log_labels_each_value_for_narrow_screens(client, owner):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    client.force_login(owner)
    html = client.get(reverse("groups:audit", args=[group.slug])).text
    assert 'class="audit audit-stacking"' in html
    for label in ("When", "Who", "What", "Whom / what", "Why"):
        assert f'data-label="{label}"' in html


# --- 3. moderation returns to the post ---------------------------------------------------


@pytest.fixture
def feed(owner):
    """A group with 30 posts: the one in the middle is far down the first page."""
    group = make_group(owner, Group.Kind.OPEN, name="Kitchen")
    posts = [make_post(owner, f"post number {i}", group=group) for i in range(30)]
    return group, posts


def test_pinning_from_far_down_returns_to_the_post(client, owner, feed):
    group, posts = feed
    target = posts[12]
    client.force_login(owner)
    back = f"{group.get_absolute_url()}?cursor=abc"

    for action in ("pin", "unpin", "lock", "unlock"):
        response = client.post(
            reverse("groups:post_action", args=[target.pk, action]), {"next": back}
        )
        assert response["Location"] == f"{back}#post-{target.pk}"


def test_removing_returns_to_the_post_that_was_below_it(client, owner, feed):
    group, posts = feed
    client.force_login(owner)

    response = client.post(
        reverse("groups:post_action", args=[posts[12].pk, "remove"]),
        {"reason": "Off topic", "next": group.get_absolute_url()},
    )

    assert response["Location"] == f"{group.get_absolute_url()}#post-{posts[11].pk}"
    # From the post's own page, which is gone now: to the group.
    response = client.post(
        reverse("groups:post_action", args=[posts[11].pk, "remove"]),
        {"reason": "Off topic", "next": posts[11].get_absolute_url()},
    )
    assert response["Location"] == f"{group.get_absolute_url()}#post-{posts[10].pk}"


def test_a_refused_removal_returns_to_the_post_itself(client, owner, feed):
    group, posts = feed
    client.force_login(owner)
    response = client.post(
        reverse("groups:post_action", args=[posts[5].pk, "remove"]),
        {"reason": "", "next": group.get_absolute_url()},
    )
    assert response["Location"] == f"{group.get_absolute_url()}#post-{posts[5].pk}"


def test_an_outside_next_is_never_followed(client, owner, feed):
    group, posts = feed
    client.force_login(owner)
    response = client.post(
        reverse("groups:post_action", args=[posts[3].pk, "pin"]), {"next": "//evil.example/"}
    )
    assert response["Location"] == f"{group.get_absolute_url()}#post-{posts[3].pk}"


def test_with_htmx_the_post_is_redrawn_in_place(client, owner, feed):
    group, posts = feed
    target = posts[12]
    client.force_login(owner)

    response = client.post(
        reverse("groups:post_action", args=[target.pk, "pin"]),
        {"next": group.get_absolute_url()},
        headers=HTMX,
    )

    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith(f'<article class="card post is-pinned" id="post-{target.pk}"')
    assert "Pinned." in html and "Unpin" in html
    # The like form's way back is the group page, not the moderation address.
    assert f'name="next" value="{group.get_absolute_url()}"' in html
    assert list(get_messages(response.wsgi_request)) == []


def test_with_htmx_a_removed_post_leaves_a_note_with_restore(client, owner, feed):
    group, posts = feed
    target = posts[12]
    client.force_login(owner)

    removed = client.post(
        reverse("groups:post_action", args=[target.pk, "remove"]),
        {"reason": "Off topic"},
        headers=HTMX,
    )
    assert removed.status_code == 200
    assert f'id="post-{target.pk}"' in removed.text
    assert "You removed this post by Otto Owner" in removed.text
    assert "post number 12" not in removed.text
    restored = client.post(reverse("groups:post_action", args=[target.pk, "restore"]), headers=HTMX)
    assert "post number 12" in restored.text and "The post is back." in restored.text


def test_with_htmx_a_refusal_shows_beside_the_post(client, owner, feed):
    _group, posts = feed
    client.force_login(owner)
    for post in posts[:3]:
        moderation.set_pinned(post=post, user=owner, pinned=True)

    response = client.post(reverse("groups:post_action", args=[posts[10].pk, "pin"]), headers=HTMX)

    assert response.status_code == 422
    assert "Up to 3 posts can be pinned. Unpin one first." in response.text
    assert f'id="post-{posts[10].pk}"' in response.text


def test_htmx_moderation_by_a_non_manager_changes_nothing(client, owner, member, feed):
    _group, posts = feed
    client.force_login(member)
    response = client.post(reverse("groups:post_action", args=[posts[1].pk, "pin"]), headers=HTMX)
    assert response.status_code == 403
    posts[1].refresh_from_db()
    assert posts[1].pinned_at is None


# --- 4. what a guest is told ----------------------------------------------------------------


def test_a_guest_opening_new_group_is_told_guests_cannot_start_groups(client, guest):
    client.force_login(guest)
    response = client.get(reverse("groups:create"))
    assert response.status_code == 403
    assert "Guests cannot start groups." in response.text
    assert "limited to administrators" not in response.text


def test_an_employee_when_only_admins_create_groups_is_told_that(client, member):
    rules = GroupSettings.current()
    rules.only_admins_create_groups = True
    rules.save()
    client.force_login(member)
    response = client.get(reverse("groups:create"))
    assert response.status_code == 403
    assert "Group creation is limited to administrators on this site." in response.text


def test_a_guests_empty_directory_does_not_invite_them_to_join_or_start(client, owner, guest):
    make_group(owner, Group.Kind.OPEN, name="Kitchen")
    client.force_login(guest)

    html = client.get(reverse("groups:directory")).text

    assert "Kitchen" not in html
    assert "You are in no group yet" in html
    for offer in ("Start the first one", "start one", "Start a group", "You choose what to join"):
        assert offer not in html
