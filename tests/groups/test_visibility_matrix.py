"""The visibility matrix (ARCHITECTURE.md rule 1, RELIABILITY.md "How the trusted projects
test it"): every kind of viewer against every kind of content on every read path.

One table of expected results drives it all:

- per object, the table, the per-object checks (`can_view_post`, `can_read_group`) and the
  querysets (`visible_posts`, `visible_comments`, `thread`, `readable_groups`,
  `visible_groups`) must agree;
- per read path, every object carries a unique marker string (`zz...zz`) that must not appear
  anywhere in the HTML the viewer gets, and the markers the viewer may see do appear where
  they belong (so the test cannot pass on empty pages);
- the inbox holds a row about every object for every viewer (as if each had been mentioned
  when they still had access) and shows only those whose subject is visible now; a digest
  email built for each viewer holds no hidden marker either;
- counts (hashtag totals, comment counts, group member counts, posts per page) only ever
  count what the viewer may see: a secret group's existence must not follow from a number.

The world is built once per module inside a transaction that is rolled back at the end; each
test runs in a savepoint of it. A cell that currently leaks is marked
`xfail(strict=True, reason="LEAK: ...")` in KNOWN_LEAKS: it fails the suite the day it is fixed
until the mark is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from access.groups import can_read_group, readable_groups, visible_groups
from access.people import visible_people
from access.posts import can_view_post, visible_comments, visible_posts
from access.viewer import Viewer
from digests.building import build_digests
from digests.emails import render_digest
from digests.models import DigestRun, InboxItem, SiteSettings
from discovery.suggestions import discovery
from groups import moderation
from groups import services as group_services
from groups.models import AuditEntry, Ban, Group, Invitation, JoinRequest, Membership
from hashtags.models import Hashtag
from hashtags.selectors import active_hashtags, trending_hashtags, who_knows
from hashtags.services import follow_hashtag
from people.models import User
from people.services import follow_person
from posts import services as post_services
from posts.models import Comment, Post
from posts.selectors import thread
from tests.factories import UserFactory, image_upload

pytestmark = pytest.mark.django_db

# --- the table ----------------------------------------------------------------------------

VIEWERS = (
    "member",  # of all three groups: joined the open one, approved into the private one,
    #            accepted an invitation to the secret one
    "nonmember",  # an employee in no group
    "requester",  # asked to join the private group; the request is pending
    "invited",  # invited to the private and the secret group, has not accepted
    "removed",  # was a member of all three, removed by the owner
    "banned",  # was a member of all three, banned by the owner
    "guest_inside",  # an external guest who accepted an invitation to the secret group
    "guest_outside",  # an external guest in no group
    "manager",  # manager of the private group only
    "admin",  # is_staff and is_superuser
    "staff",  # is_staff only: the Django admin screens its permissions allow, nothing more
    "anonymous",  # not signed in
)
GROUPS = ("open", "private", "secret")
POSTS = ("company_post", "open_post", "private_post", "secret_post", "removed_post")
CONTENT = (
    "company_post",
    "company_comment",
    "open_post",
    "open_comment",
    "private_post",
    "private_comment",
    "secret_post",
    "secret_comment",
    "removed_post",  # in the open group, removed by a moderator
    "removed_post_comment",  # a comment (not removed itself) on the removed post
    "removed_comment",  # on the open group's post, removed by a moderator
)
COMMENTS = tuple(c for c in CONTENT if c not in POSTS)
POST_OF = {
    "company_comment": "company_post",
    "open_comment": "open_post",
    "private_comment": "private_post",
    "secret_comment": "secret_post",
    "removed_post_comment": "removed_post",
    "removed_comment": "open_post",
}
GROUP_OF = {
    "company_post": None,
    "open_post": "open",
    "private_post": "private",
    "secret_post": "secret",
    "removed_post": "open",
}

# Who may see what. Y = visible, . = hidden. Columns follow CONTENT: for company, open,
# private and secret, the post then its comment; then the removed post, the comment on the
# removed post, and the removed comment.
#
#                  company open  private secret removed
#                  post+c  post+c post+c post+c post+c+removed-comment
VISIBLE_TABLE = """
member             YY      YY     YY     YY     ...
nonmember          YY      YY     ..     ..     ...
requester          YY      YY     ..     ..     ...
invited            YY      YY     ..     ..     ...
removed            YY      YY     ..     ..     ...
banned             YY      YY     ..     ..     ...
guest_inside       ..      ..     ..     YY     ...
guest_outside      ..      ..     ..     ..     ...
manager            YY      YY     YY     ..     ...
admin              YY      YY     YY     YY     ...
staff              YY      YY     ..     ..     ...
anonymous          ..      ..     ..     ..     ...
"""

# Who may know a group exists (its name, description and member count). Y = known.
# A private group is listed for employees; a secret one only for its members, the people
# invited to it (the invitation names it) and admins. Guests know only their own groups.
#
#                  open private secret
KNOWS_TABLE = """
member             Y    Y       Y
nonmember          Y    Y       .
requester          Y    Y       .
invited            Y    Y       Y
removed            Y    Y       .
banned             Y    Y       .
guest_inside       .    .       Y
guest_outside      .    .       .
manager            Y    Y       .
admin              Y    Y       Y
staff              Y    Y       .
anonymous          .    .       .
"""


def _parse(table: str, columns: tuple[str, ...]) -> dict[tuple[str, str], bool]:
    cells = {}
    for line in table.strip().splitlines():
        viewer, *marks = line.split()
        flags = "".join(marks)
        assert viewer in VIEWERS and len(flags) == len(columns), line
        cells.update({(viewer, col): flag == "Y" for col, flag in zip(columns, flags, strict=True)})
    assert {v for v, _c in cells} == set(VIEWERS)
    return cells


EXPECTED = _parse(VISIBLE_TABLE, CONTENT)
KNOWS = _parse(KNOWS_TABLE, GROUPS)
# A group's posts are readable exactly when its (non-removed) post is visible.
READS = {(v, g): EXPECTED[(v, f"{g}_post")] for v in VIEWERS for g in GROUPS}


def is_guest(viewer: str) -> bool:
    return viewer.startswith("guest_")


def visible_posts_of(viewer: str, group: str | None = "any") -> list[str]:
    return [p for p in POSTS if EXPECTED[(viewer, p)] and (group == "any" or GROUP_OF[p] == group)]


# --- the read paths -----------------------------------------------------------------------

PATHS = (
    "home",
    "all",
    "search",  # the Posts tab for the hashtag every post carries
    *(f"search:{c}" for c in CONTENT),  # the Posts tab for one object's marker
    *(f"search_tab:{t}" for t in ("people", "groups", "hashtags")),
    "inbox",
    "invitations",
    "groups_dir",
    "tags_dir",
    "people_dir",
    "profile",  # the author of every post
    "questions",  # every post is an open question
    *(f"questions_group:{g}" for g in GROUPS),  # the Questions page filtered by group
    *(f"questions_tag:{p}" for p in POSTS),  # ... and by a hashtag only that post carries
    *(f"group:{g}" for g in GROUPS),
    *(f"members:{g}" for g in GROUPS),
    "tag:matrix_topic",  # carried by every post
    *(f"tag:{p}" for p in POSTS),  # a hashtag only that post carries
    "tag:missing",  # a hashtag nobody ever used: what "no such thing" looks like
    *(f"detail:{p}" for p in POSTS),  # the post and its comment list
    *(f"edit:{p}" for p in POSTS),
    *(f"image:{p}" for p in POSTS),
    *(f"comment_edit:{c}" for c in COMMENTS),
    "site_moderation",  # the site's report queue: site admins only
    *(f"moderation:{g}" for g in GROUPS),  # a group's report queue: its managers, site admins
    *(f"audit:{g}" for g in GROUPS),  # a group's audit log: the same people
)

# Who may moderate a group (its report queue, its audit log): its managers and site admins.
MANAGES = {
    (v, g): v == "admin" or (v == "manager" and g == "private") for v in VIEWERS for g in GROUPS
}


def expected_status(viewer: str, path: str) -> int:
    if viewer == "anonymous":
        return 302  # to the sign-in page, whatever the path
    kind, _sep, arg = path.partition(":")
    if kind in ("all", "people_dir"):
        return 404 if is_guest(viewer) else 200
    if kind == "profile":
        # A guest meets the members of their own groups only.
        return 404 if viewer == "guest_outside" else 200
    if kind == "group":
        return 200 if KNOWS[(viewer, arg)] else 404
    if kind == "members":
        if not KNOWS[(viewer, arg)]:
            return 404
        return 200 if READS[(viewer, arg)] else 403
    if kind == "questions_group":
        # A group whose posts the viewer may not read is no filter at all, like a missing one.
        return 200 if READS[(viewer, arg)] else 404
    if kind == "questions_tag":
        return 200 if EXPECTED[(viewer, arg)] else 404
    if kind == "tag":
        if arg == "matrix_topic":
            return 200  # everyone signed in follows it
        if arg == "missing":
            return 404
        # A hashtag carried only by posts the viewer may not see looks like a missing one.
        return 200 if EXPECTED[(viewer, arg)] else 404
    if kind in ("detail", "image"):
        return 200 if EXPECTED[(viewer, arg)] else 404
    if kind in ("edit", "comment_edit"):
        return 403 if EXPECTED[(viewer, arg)] else 404  # only the author may edit
    if kind == "site_moderation":
        return 200 if viewer == "admin" else 403
    if kind in ("moderation", "audit"):
        if not KNOWS[(viewer, arg)]:
            return 404
        return 200 if MANAGES[(viewer, arg)] else 403
    return 200


def listed_posts(viewer: str, path: str) -> list[str] | None:
    """The posts a page of posts must show (all of them, nothing else), or None if `path`
    is not a list of posts for this viewer."""
    if expected_status(viewer, path) != 200:
        return None
    kind, _sep, arg = path.partition(":")
    if kind in ("home", "all", "profile", "questions") or path in ("tag:matrix_topic", "search"):
        return visible_posts_of(viewer)
    if kind == "search" and arg in CONTENT:
        # A comment is found as its post, with the comment under it.
        return [POST_OF.get(arg, arg)] if EXPECTED[(viewer, arg)] else []
    if kind in ("group", "questions_group") and READS[(viewer, arg)]:
        return visible_posts_of(viewer, arg)
    if kind in ("tag", "detail", "questions_tag") and arg in POSTS:
        return [arg]
    return None


# --- known leaks: each cell stays xfail(strict) until the code is fixed -------------------

KNOWN_LEAKS: dict[tuple[str, str], str] = {}


def cells(pairs) -> list:
    """pytest parameters for (viewer, item) cells, known leaks marked xfail(strict)."""
    params = []
    for viewer, item in pairs:
        reason = KNOWN_LEAKS.get((viewer, item))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(viewer, item, marks=marks, id=f"{viewer}-{item}"))
    return params


# --- the world ----------------------------------------------------------------------------


def marker(name: str) -> str:
    """The unique string for one object. zz...zz: no marker is a substring of another."""
    return f"zz{name.replace('_', '')}zz"


def tag_of(post: str) -> str:
    """The hashtag only this post carries."""
    return marker(f"{post}tag")


MISSING_TAG = marker("nosuchtag")
SHARED_TAG = "matrix_topic"


@dataclass
class World:
    users: dict[str, User | AnonymousUser]
    author: User
    groups: dict[str, Group]
    posts: dict[str, Post]
    comments: dict[str, Comment]
    images: dict[str, str]
    media_root: str

    def obj(self, content: str) -> Post | Comment:
        return self.posts.get(content) or self.comments[content]

    def url(self, path: str) -> str:
        kind, _sep, arg = path.partition(":")
        simple = {
            "home": reverse("home"),
            "all": reverse("all"),
            "search": reverse("search") + f"?q={SHARED_TAG}&tab=posts",
            "search_tab:people": reverse("search") + "?tab=people&q=viewer",
            # Every group name and every post's own hashtag starts with "zz".
            "search_tab:groups": reverse("search") + "?tab=groups&q=zz",
            "search_tab:hashtags": reverse("search") + "?tab=hashtags&q=zz",
            "inbox": reverse("digests:inbox"),
            "invitations": reverse("groups:invitations"),
            "groups_dir": reverse("groups:directory"),
            "tags_dir": reverse("hashtags:directory"),
            "people_dir": reverse("people:directory"),
            "profile": self.author.get_absolute_url(),
            "questions": reverse("questions"),
        }
        if kind == "search" and arg:
            # The marker's start: found as a prefix, and the page echoing the query back
            # (search box, links, title) does not contain the marker itself.
            return reverse("search") + f"?q={marker(arg)[:-2]}&tab=posts"
        if path in simple:
            return simple[path]
        if kind in simple:
            return simple[kind]
        if kind == "group":
            return self.groups[arg].get_absolute_url()
        if kind == "members":
            return reverse("groups:members", args=[self.groups[arg].slug])
        if kind == "questions_group":
            return reverse("questions") + f"?group={self.groups[arg].slug}"
        if kind == "questions_tag":
            return reverse("questions") + f"?tag={tag_of(arg)}"
        if kind == "tag":
            slug = {"matrix_topic": SHARED_TAG, "missing": MISSING_TAG}.get(arg) or tag_of(arg)
            return reverse("hashtags:detail", args=[slug])
        if kind == "detail":
            return self.posts[arg].get_absolute_url()
        if kind == "edit":
            return reverse("posts:edit", args=[self.posts[arg].pk])
        if kind == "image":
            return self.images[arg]
        if kind == "comment_edit":
            return reverse("posts:edit_comment", args=[self.comments[arg].pk])
        if kind == "site_moderation":
            return reverse("groups:site_moderation")
        if kind in ("moderation", "audit"):
            return reverse(f"groups:{kind}", args=[self.groups[arg].slug])
        raise AssertionError(path)

    def forbidden(self, viewer: str) -> set[str]:
        """Strings that must appear nowhere in what `viewer` receives."""
        hidden = set()
        for content in CONTENT:
            if not EXPECTED[(viewer, content)]:
                hidden.add(marker(content))
                if content in POSTS:
                    hidden.add(tag_of(content))
        for kind in GROUPS:
            if not KNOWS[(viewer, kind)]:
                hidden |= {marker(f"{kind}group"), marker(f"{kind}groupdesc")}
        if not KNOWS[(viewer, "secret")]:
            # Its member count is unique in this world (checked when it is built).
            count = self.groups["secret"].member_count
            hidden.add(f"{count} members")
        return hidden


def _invite_and_accept(group: Group, inviter: User, person: User) -> None:
    _invite(group, inviter, person)
    invitation = Invitation.objects.get(
        group=group, invitee=person, status=Invitation.Status.PENDING
    )
    group_services.accept_invitation(invitation=invitation, user=person)


def _invite(group: Group, inviter: User, person: User) -> None:
    sent, skipped = group_services.invite(group=group, inviter=inviter, people=[person])
    assert sent == 1, skipped


def _build_world(media_root: str) -> World:
    author = UserFactory(username="ava.author", first_name="Ava", last_name="Author", title="")
    users: dict[str, User | AnonymousUser] = {}
    for name in VIEWERS:
        if name == "anonymous":
            users[name] = AnonymousUser()
            continue
        fields = {"first_name": name.title(), "last_name": "Viewer", "title": ""}
        if name == "admin":
            fields.update(is_staff=True, is_superuser=True)
        if name == "staff":
            fields.update(is_staff=True)
        if is_guest(name):
            fields.update(is_guest=True, sponsor=author)
        users[name] = UserFactory(username=f"v.{name}", **fields)

    def create(kind: str) -> Group:
        group = group_services.create_group(
            creator=author,
            name=marker(f"{kind}group"),
            kind=kind,
            description=marker(f"{kind}groupdesc"),
            allow_guests=kind != "open",
        )
        return group

    groups = {kind: create(kind) for kind in GROUPS}
    open_g, private, secret = groups["open"], groups["private"], groups["secret"]

    def join_all_three(person: User) -> None:
        group_services.join_group(user=person, group=open_g)
        request = group_services.request_to_join(user=person, group=private)
        group_services.approve_request(request=request, manager=author)
        _invite_and_accept(secret, author, person)

    join_all_three(users["member"])
    group_services.request_to_join(user=users["requester"], group=private)
    _invite(private, author, users["invited"])
    _invite(secret, author, users["invited"])
    for name in ("removed", "banned"):
        join_all_three(users[name])
    for group in groups.values():
        group_services.remove_member(
            group=group, manager=author, person=users["removed"], reason="matrix"
        )
        group_services.ban_member(
            group=group, manager=author, person=users["banned"], reason="matrix"
        )
    _invite_and_accept(secret, author, users["guest_inside"])
    _invite_and_accept(private, author, users["manager"])
    group_services.set_role(group=private, manager=author, person=users["manager"], role="manager")
    # Fillers give the secret group a member count no other group has.
    for n in range(4):
        _invite_and_accept(secret, author, UserFactory(username=f"filler{n}", title=""))

    def post(name: str, group: Group | None) -> Post:
        body = f"{marker(name)} on #{SHARED_TAG} and #{tag_of(name)}"
        # Every post is a question, so the Questions page lists them all (when visible).
        return post_services.create_post(
            author=author, body=body, group=group, images=[image_upload()], is_question=True
        )

    posts = {name: post(name, groups[g] if g else None) for name, g in GROUP_OF.items()}
    comments = {
        name: post_services.add_comment(post=posts[POST_OF[name]], author=author, body=marker(name))
        for name in COMMENTS
    }
    moderation.remove_comment(comment=comments["removed_comment"], user=author, reason="matrix")
    moderation.remove_post(post=posts["removed_post"], user=author, reason="matrix")

    # Everyone signed in follows the author and the shared hashtag: the home feed would show
    # every post if the policy let it.
    shared = Hashtag.objects.get(slug=SHARED_TAG)
    for user in users.values():
        if user.is_authenticated:
            follow_person(follower=user, followee=author)
            follow_hashtag(user=user, hashtag=shared)

    # Everyone signed in was once mentioned in every post and comment (as if they had seen it
    # then): the inbox must show each row only while its subject is visible now.
    InboxItem.objects.bulk_create(
        InboxItem(
            recipient=user,
            actor_user=author,
            actor_content_type=ContentType.objects.get_for_model(User),
            actor_object_id=str(author.pk),
            verb="mentioned you",
            kind=InboxItem.Kind.MENTION,
            post=posts.get(name) or posts[POST_OF[name]],
            comment=comments.get(name),
        )
        for user in users.values()
        if user.is_authenticated
        for name in CONTENT
    )

    groups = {kind: Group.objects.get(pk=g.pk) for kind, g in groups.items()}
    counts = [g.member_count for g in groups.values()]
    assert len(set(counts)) == len(counts), counts
    posts = {
        name: Post.objects.select_related("group", "author").get(pk=p.pk)
        for name, p in posts.items()
    }
    comments = {
        name: Comment.objects.select_related("post", "post__group").get(pk=c.pk)
        for name, c in comments.items()
    }
    images = {name: p.images.get().get_absolute_url() for name, p in posts.items()}
    return World(users, author, groups, posts, comments, images, media_root)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media_root = str(tmp_path_factory.mktemp("matrix_media"))
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=fast, MEDIA_ROOT=media_root),
        transaction.atomic(),
    ):
        yield _build_world(media_root)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _world_media(_media_and_cache, settings, world):
    """tests/conftest.py points MEDIA_ROOT at a fresh directory per test; the world's images
    live in the module's one."""
    settings.MEDIA_ROOT = world.media_root


def fetch(world: World, viewer: str, path: str):
    client = Client()
    user = world.users[viewer]
    if user.is_authenticated:
        client.force_login(user)
    return client.get(world.url(path))


def body_of(response) -> str:
    if response.streaming:
        # An image: read it through (the test client then closes it properly); it carries
        # no markers, only its status matters.
        b"".join(response.streaming_content)
        return ""
    return response.content.decode()


# --- 1. the per-object checks and the querysets agree with the table ----------------------


@pytest.mark.parametrize(("viewer", "content"), cells((v, c) for v in VIEWERS for c in CONTENT))
def test_policy_agrees_with_the_table(world, viewer, content):
    user, expected = world.users[viewer], EXPECTED[(viewer, content)]
    if content in POSTS:
        post = world.posts[content]
        assert can_view_post(user, post) is expected
        assert visible_posts(user).filter(pk=post.pk).exists() is expected
    else:
        comment = world.comments[content]
        assert visible_comments(user).filter(pk=comment.pk).exists() is expected
        # The comment list of a post page, for the post it hangs on.
        assert thread(user, comment.post).filter(pk=comment.pk).exists() is expected
        # Comments follow their post (a removed comment is hidden on a visible post too).
        if expected:
            assert can_view_post(user, comment.post)


@pytest.mark.parametrize(("viewer", "group"), cells((v, g) for v in VIEWERS for g in GROUPS))
def test_group_policy_agrees_with_the_table(world, viewer, group):
    user, obj = world.users[viewer], world.groups[group]
    reads, knows = READS[(viewer, group)], KNOWS[(viewer, group)]
    assert can_read_group(user, obj) is reads
    assert readable_groups(user).filter(pk=obj.pk).exists() is reads
    assert visible_groups(user).filter(pk=obj.pk).exists() is knows
    assert not reads or knows, "a readable group must be a known one"


# --- 2. every read path: no hidden marker anywhere, every visible one where it belongs ----


@pytest.mark.parametrize(("viewer", "path"), cells((v, p) for v in VIEWERS for p in PATHS))
def test_read_path(world, viewer, path):
    response = fetch(world, viewer, path)
    html = body_of(response).lower()
    leaked = sorted(s for s in world.forbidden(viewer) if s in html)
    assert not leaked, f"{viewer} on {path} received {leaked}"
    assert response.status_code == expected_status(viewer, path), (
        f"{viewer} on {path}: {response.status_code}"
    )
    if viewer == "anonymous":
        assert response.url.startswith(reverse("login"))
        return

    listed = listed_posts(viewer, path)
    if listed is not None:
        missing = [p for p in listed if marker(p) not in html]
        assert not missing, f"{viewer} on {path} should see {missing}"
        # The page holds these posts and nothing else: a count of what may be seen.
        assert html.count('<article class="card post') == len(listed), path
    kind, _sep, arg = path.partition(":")
    if kind == "inbox":
        # A row for every object; those the viewer may see are there, with their text.
        shown = [c for c in CONTENT if EXPECTED[(viewer, c)]]
        missing = [c for c in shown if marker(c) not in html]
        assert not missing, f"{viewer}'s inbox should show {missing}"
        assert html.count('class="inbox-row') == len(shown)
    if kind == "detail" and listed:
        shown = [c for c in COMMENTS if POST_OF[c] == arg and EXPECTED[(viewer, c)]]
        missing = [c for c in shown if marker(c) not in html]
        assert not missing, f"{viewer} on {path} should see {missing}"
        # Both the post's counter and the comment list's heading count visible comments only.
        numbers = re.findall(r"(?<!\d)(\d+) comments?\b", html)
        assert len(numbers) == 2 and set(numbers) == {str(len(shown))}, numbers
    if kind == "groups_dir":
        for group in GROUPS:
            if KNOWS[(viewer, group)]:
                assert marker(f"{group}group") in html, f"{viewer} should find {group}"
    if kind in ("search", "search_tab"):
        check_search_page(world, viewer, path, html)


def search_tab_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'>(posts|people|groups|hashtags) <span class="tab-count">(\d+)<', html))


def check_search_page(world: World, viewer: str, path: str, html: str) -> None:
    """The "N results" line and every tab's count hold only what the viewer may see."""
    kind, _sep, arg = path.partition(":")
    counts = search_tab_counts(html)
    summary = re.search(r'<p class="search-summary" role="status">\s*(\d+) ', html)
    shown = int(summary.group(1)) if summary else None
    known = [g for g in GROUPS if KNOWS[(viewer, g)]]
    if kind == "search":
        listed = listed_posts(viewer, path)
        assert shown == len(listed) and counts["posts"] == str(len(listed)), (path, counts)
        if arg in COMMENTS and EXPECTED[(viewer, arg)]:
            assert marker(arg) in html, f"{viewer} should find the comment {arg}"
    elif arg == "groups":
        assert shown == len(known) == int(counts["groups"]), counts
        for group in known:
            assert marker(f"{group}group") in html, f"{viewer} should find {group}"
    elif arg == "hashtags":
        visible = visible_posts_of(viewer)
        assert shown == len(visible) == int(counts["hashtags"]), counts
        for post in visible:
            assert f"#{tag_of(post)}" in html
    else:
        user = world.users[viewer]
        may_see = visible_people(user).filter(last_name="Viewer")
        assert shown == may_see.count() == int(counts["people"]), counts
        if viewer == "guest_outside":
            assert shown == 1  # only themselves
    if arg == "hashtags":  # the same "zz" finds every group name
        assert int(counts["groups"]) == len(known), counts


# --- 3. digest emails: built through the policy at send time ------------------------------


@pytest.mark.parametrize("viewer", [v for v in VIEWERS if v != "anonymous"])
def test_digest_email_holds_only_what_the_viewer_may_see(world, viewer):
    user = User.objects.get(pk=world.users[viewer].pk)
    site = SiteSettings.current()
    long_ago = timezone.now() - timedelta(days=7)
    digests = build_digests([user], since={user.pk: long_ago}, until=timezone.now(), site=site)
    visible = visible_posts_of(viewer)
    if not visible:
        assert digests == {}, "nothing visible must mean no digest at all"
        return
    run = DigestRun(pk=1, user=user, period="matrix", frequency="daily")
    message = render_digest(run, digests[user.pk])
    text = (message.subject + message.body + message.alternatives[0][0]).lower()
    leaked = sorted(s for s in world.forbidden(viewer) if s in text)
    assert not leaked, f"{viewer}'s digest holds {leaked}"
    missing = [p for p in visible if marker(p) not in text]
    assert not missing, f"{viewer}'s digest should hold {missing}"


# --- 4. counts go through the policy -------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_hashtag_counts_count_only_visible_posts(world, viewer):
    user = world.users[viewer]
    recent = {tag.slug: tag.recent for tag in active_hashtags(user)}
    visible = visible_posts_of(viewer)
    assert recent.get(SHARED_TAG, 0) == len(visible)
    for post in POSTS:
        assert recent.get(tag_of(post), 0) == (1 if post in visible else 0), post
    if viewer == "anonymous":
        return
    html = body_of(fetch(world, viewer, "tags_dir"))
    shown = re.search(
        rf'#{SHARED_TAG}</a>\s*<span class="muted">(\d+) posts?', html, flags=re.IGNORECASE
    )
    if visible:
        assert shown and int(shown.group(1)) == len(visible), shown
    else:
        # Only as a tag the viewer follows, with nothing of it they may see.
        assert shown is None or int(shown.group(1)) == 0, shown


@pytest.mark.parametrize("viewer", VIEWERS)
def test_trending_counts_only_visible_posts(world, viewer):
    """Trending ranks by distinct authors of visible posts: a secret group's hashtag never
    trends for outsiders, and its posts never add to a shared tag's numbers."""
    user = world.users[viewer]
    trending = {t.slug: (t.authors, t.recent) for t in trending_hashtags(user, limit=50)}
    visible = visible_posts_of(viewer)
    expected = {tag_of(p): (1, 1) for p in visible}
    if visible:
        expected[SHARED_TAG] = (1, len(visible))
    assert trending == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_who_knows_counts_only_visible_content_and_people(world, viewer):
    """ "Who knows about #tag": posts and answers counted through the policy, people through
    visible_people. A helper answers on every post; each viewer sees them answer only the
    posts they may see themselves."""
    helper = UserFactory(
        username="hal.helper",
        first_name="Hal",
        last_name="Helper",
        title="",
        listed_as_knowing=True,
    )
    # Both chose to be listed (it is opt-in): what is left to decide is what the viewer sees.
    User.objects.filter(pk=world.author.pk).update(listed_as_knowing=True)
    for name in POSTS:
        post = Post.objects.get(pk=world.posts[name].pk)
        Comment.objects.create(post=post, author=helper, body="answer", body_html="answer")
    user = world.users[viewer]
    shared = Hashtag.objects.get(slug=SHARED_TAG)

    experts = {e.person.username: (e.posts, e.answers) for e in who_knows(user, shared)}

    visible = visible_posts_of(viewer)
    expected = {}
    if visible and viewer != "anonymous":
        people = visible_people(user)
        if people.filter(pk=world.author.pk).exists():
            expected[world.author.username] = (len(visible), 0)
        if people.filter(pk=helper.pk).exists():
            expected[helper.username] = (0, len(visible))
    assert experts == expected
    if viewer == "anonymous":
        return
    html = body_of(fetch(world, viewer, f"tag:{SHARED_TAG}"))
    panel = html.split('id="who-knows-title"')[1].split("</section>")[0]
    if world.author.username in expected:
        shown = re.search(r"Ava Author</a>.*?(\d+) posts?", panel, flags=re.DOTALL)
        assert shown and int(shown.group(1)) == len(visible)
    else:
        assert "Ava Author" not in panel


@pytest.mark.parametrize("viewer", VIEWERS)
def test_suggestions_offer_only_what_the_viewer_may_know(world, viewer):
    """Suggested groups are open ones the viewer may join; suggested hashtags are carried by
    a post the viewer may see; suggested people are people the viewer may see."""
    user = world.users[viewer]
    cards = discovery(user) if viewer != "anonymous" else {}
    visible_tags = {tag_of(p) for p in visible_posts_of(viewer)} | {SHARED_TAG}
    for suggestion in cards.get("suggested_hashtags", []):
        assert suggestion.item.slug in visible_tags
    for suggestion in cards.get("suggested_groups", []):
        assert suggestion.item.kind == Group.Kind.OPEN and READS[(viewer, "open")]
    for suggestion in cards.get("suggested_people", []):
        assert visible_people(user).filter(pk=suggestion.item.pk).exists()
    if is_guest(viewer) or viewer == "anonymous":
        assert not cards.get("suggested_hashtags") and not cards.get("suggested_groups")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_group_member_counts_only_for_known_groups(world, viewer):
    """The directory shows each known group with its member count, and nothing of the
    others (their names and the secret group's count are in World.forbidden)."""
    if viewer == "anonymous":
        assert fetch(world, viewer, "groups_dir").status_code == 302
        return
    html = body_of(fetch(world, viewer, "groups_dir"))
    cards = re.findall(
        r'class="group-name"[^>]*>([^<]+)</a>.*?(\d+) members?', html, flags=re.DOTALL
    )
    expected = {
        marker(f"{g}group"): world.groups[g].member_count for g in GROUPS if KNOWS[(viewer, g)]
    }
    assert {name: int(n) for name, n in cards} == expected


# --- 5. the world is what the table says it is ---------------------------------------------


def test_the_world_matches_the_viewer_descriptions(world):
    u, g = world.users, world.groups

    def groups_of(name: str) -> dict[str, str]:
        return {
            kind: m.role
            for kind in GROUPS
            for m in Membership.objects.filter(user=u[name], group=g[kind])
        }

    assert groups_of("member") == dict.fromkeys(GROUPS, "member")
    assert groups_of("nonmember") == {}
    assert groups_of("requester") == {}
    assert JoinRequest.objects.get(user=u["requester"]).status == JoinRequest.Status.PENDING
    assert groups_of("invited") == {}
    assert set(
        Invitation.objects.filter(invitee=u["invited"], status="pending").values_list(
            "group__kind", flat=True
        )
    ) == {"private", "secret"}
    for name, action in (
        ("removed", AuditEntry.Action.REMOVED_MEMBER),
        ("banned", AuditEntry.Action.BANNED),
    ):
        assert groups_of(name) == {}
        assert AuditEntry.objects.filter(target_user=u[name], action=action).count() == 3
    assert Ban.objects.filter(user=u["banned"]).count() == 3
    assert u["guest_inside"].is_guest and groups_of("guest_inside") == {"secret": "member"}
    assert u["guest_outside"].is_guest and groups_of("guest_outside") == {}
    assert groups_of("manager") == {"private": "manager"}
    assert Viewer.of(u["admin"]).is_admin and groups_of("admin") == {}
    assert u["staff"].is_staff and not Viewer.of(u["staff"]).is_admin
    assert groups_of("staff") == {}
    assert world.posts["removed_post"].removed_at is not None
    assert world.comments["removed_comment"].removed_at is not None
    assert world.comments["removed_post_comment"].removed_at is None
    # The guest inside may open the author's profile (they share the secret group).
    assert visible_people(u["guest_inside"]).filter(pk=world.author.pk).exists()
    assert not visible_people(u["guest_outside"]).filter(pk=world.author.pk).exists()
