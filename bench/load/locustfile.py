"""The mixed load of bench/load/run.py: people already signed in, reading and writing as their
browser would ask for it. Full pages are plain GETs; what htmx fetches (the side cards after
the home page, "Load more") and posts (likes, comments, publishing) carries HX-Request, and
posts carry the CSRF token read from the page (`hx-headers` on `<body>`), as htmx sends it.

run.py runs this in its own process and hands over the plan it prepared (session cookies made
in the database, pools of public posts, hashtags and search words) with `configure`. Alone,
`LOAD_PLAN=var/bench-load/plan.json locust -f bench/load/locustfile.py --host http://...`
runs the same people against a server started some other way.

Each request is named by its page, so the statistics group them: see PAGES and WEIGHTS.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import quote, urlsplit

import gevent
from locust import FastHttpUser, task

# Every post and comment the load writes starts with this, so run.py can remove them before
# the next run (publishing and commenting would otherwise grow the data set run after run).
MARK = "Load bench:"

# Weights of the pages in the mix, per 100 actions. Reads dominate, as on a real network; the
# home page also loads its side cards (/discover/) with htmx, as the browser does.
WEIGHTS = {
    "home": 25,
    "load more": 10,
    "all": 8,
    "post page": 22,
    "hashtag page": 8,
    "search": 7,
    "inbox": 10,
    "like": 6,
    "comment": 3,
    "publish": 1,
}
NAMES, SHARES = list(WEIGHTS), list(WEIGHTS.values())
# Seconds a person spends on a page before the next action (uniform): at 2 s on average,
# 200 people ask for about 100 pages a second, the rate issue 16 expects of 200 people.
THINK_SECONDS = (1.0, 3.0)

POST_LINK = re.compile(r'href="/posts/(\d+)/"')
HASHTAG_LINK = re.compile(r'href="(/hashtags/[^/"?#]+/)"')
CSRF_HEADER = re.compile(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
LOAD_MORE = re.compile(r'id="load-more">\s*<a [^>]*href="([^"]+)"')
SEEN_KEPT = 60  # links remembered per person, newest first


@dataclass
class Settings:
    """What run.py decides for the users it starts."""

    plan: dict[str, Any] = field(default_factory=dict)
    only: str | None = None  # one page alone, without thinking time (run.py's per-page phases)
    started: int = 0  # people who have opened their first page (on_start finished)


SETTINGS = Settings()
_accounts = itertools.count()


def configure(plan: dict[str, Any], *, only: str | None = None) -> None:
    if only is not None and only not in PAGES:
        raise ValueError(f"unknown page {only!r}; pages: {', '.join(PAGES)}")
    SETTINGS.plan, SETTINGS.only, SETTINGS.started = plan, only, 0


def plan() -> dict[str, Any]:
    if not SETTINGS.plan:
        path = os.environ.get("LOAD_PLAN", "var/bench-load/plan.json")
        with open(path, encoding="utf-8") as file:
            SETTINGS.plan = json.load(file)
    return SETTINGS.plan


def session_cookie(host: str, name: str, value: str) -> Cookie:
    """A host-only cookie, as Django sets it (no Domain attribute)."""
    return Cookie(
        version=0, name=name, value=value, port=None, port_specified=False,
        domain=host, domain_specified=False, domain_initial_dot=False,
        path="/", path_specified=True, secure=False, expires=None, discard=True,
        comment=None, comment_url=None, rest={"HttpOnly": ""},
    )  # fmt: skip


class Person(FastHttpUser):
    """One signed-in employee. Several simulated people share an account when the plan holds
    fewer sessions than there are people (the demo company has about 60)."""

    network_timeout = 30.0  # gunicorn's own timeout: a request this long is an error anyway
    connection_timeout = 10.0

    def wait_time(self) -> float:
        return 0.0 if SETTINGS.only else random.uniform(*THINK_SECONDS)

    def on_start(self) -> None:
        sessions = plan()["sessions"]
        account = sessions[next(_accounts) % len(sessions)]
        self.username = account["username"]
        host = urlsplit(str(self.host)).hostname or "127.0.0.1"
        self.client.cookiejar.set_cookie(
            session_cookie(host, plan()["session_cookie"], account["session"])
        )
        self.csrf = ""
        self.seen_posts: list[int] = []
        self.seen_tags: list[str] = []
        # "Load more" of the last stream read (the home feed or All): its second page, and
        # where the next one goes.
        self.second_page: str | None = None
        self.more: str | None = None
        # Opening the site: the first page gives the CSRF token, links and "Load more".
        home(self, side_cards=False)
        if self.second_page is None:  # a feed of one page: "Load more" pages through All
            all_posts(self)
        SETTINGS.started += 1

    @task
    def act(self) -> None:
        PAGES[SETTINGS.only or random.choices(NAMES, weights=SHARES)[0]](self)

    # --- requests ---------------------------------------------------------------------------

    def get(self, name: str, path: str, *, htmx: bool = False) -> str | None:
        headers = {"HX-Request": "true"} if htmx else {}
        return self._send("GET", name, path, headers=headers)

    def post(self, name: str, path: str, data: dict[str, str]) -> str | None:
        # htmx sends the token of <body hx-headers> and the current page as HX-Current-URL.
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf}
        return self._send("POST", name, path, headers=headers, data=data)

    def _send(self, method: str, name: str, path: str, **kwargs: Any) -> str | None:
        """One request; anything but a 200 is an error (a redirect here means the session was
        refused: the sign-in page would otherwise count as a fast success)."""
        with self.client.request(
            method, path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                where = response.headers.get("Location") if response.headers else None
                response.failure(f"HTTP {response.status_code}" + (f" to {where}" if where else ""))
                return None
            text = response.text or ""
            response.success()
        self.learn(text)
        return text

    def learn(self, text: str) -> None:
        """What a person could click next: the posts and hashtags on the page, its CSRF token
        (full pages only) and its "Load more" link."""
        token = CSRF_HEADER.search(text)
        if token:
            self.csrf = token.group(1)
        posts = [int(pk) for pk in POST_LINK.findall(text)]
        if posts:
            self.seen_posts = list(dict.fromkeys(posts + self.seen_posts))[:SEEN_KEPT]
        tags = [t for t in HASHTAG_LINK.findall(text) if not t.endswith(("/follow/", "/mute/"))]
        if tags:
            self.seen_tags = list(dict.fromkeys(tags + self.seen_tags))[:SEEN_KEPT]

    def next_page_link(self, text: str | None) -> str | None:
        found = LOAD_MORE.search(text or "")
        return html.unescape(found.group(1)) if found else None

    # --- choices ------------------------------------------------------------------------------

    def a_post(self, *, seen_share: float) -> int:
        """A post from the pages this person saw (what they would click), else one of the
        network's recent public posts."""
        if self.seen_posts and random.random() < seen_share:
            return random.choice(self.seen_posts)
        return random.choice(plan()["posts"])

    def a_hashtag(self) -> str:
        if self.seen_tags and random.random() < 0.5:
            return random.choice(self.seen_tags)
        return f"/hashtags/{quote(random.choice(plan()['hashtags']))}/"


# --- pages ------------------------------------------------------------------------------------


def home(user: Person, *, side_cards: bool = True) -> None:
    read_stream(user, "home", "/")
    if side_cards and not SETTINGS.only:
        user.get("side cards", "/discover/", htmx=True)


def read_stream(user: Person, name: str, path: str) -> None:
    link = user.next_page_link(user.get(name, path))
    if link or user.second_page is None:
        user.second_page = user.more = link


def side_cards(user: Person) -> None:
    user.get("side cards", "/discover/", htmx=True)


def load_more(user: Person) -> None:
    url = user.more or user.second_page
    if url is None:  # nothing to page through: this person's feed and All are one page
        gevent.sleep(1)
        return
    following = user.next_page_link(user.get("load more", url, htmx=True))
    # At the end of the stream, or after a few pages, a person goes back to its top.
    user.more = following if following and random.random() < 0.7 else None


def all_posts(user: Person) -> None:
    read_stream(user, "all", "/all/")


def post_page(user: Person) -> None:
    user.get("post page", f"/posts/{user.a_post(seen_share=0.8)}/")


def hashtag_page(user: Person) -> None:
    user.get("hashtag page", user.a_hashtag())


def search(user: Person) -> None:
    words = plan()["search_words"]
    kind = "common" if random.random() < 0.6 else "rare"
    user.get("search", f"/search/?q={quote(random.choice(words[kind]))}")


def inbox(user: Person) -> None:
    user.get("inbox", "/inbox/")


def like(user: Person) -> None:
    # A like toggles: the same person on the same post likes, then takes it back.
    user.post("like", f"/posts/{user.a_post(seen_share=0.5)}/like/", {"next": "/"})


def comment(user: Person) -> None:
    pk = random.choice(plan()["posts"])  # public posts: open to everyone's comments
    body = f"{MARK} {random.choice(COMMENTS)}"
    user.post("comment", f"/posts/{pk}/comments/", {"body": body})


def publish(user: Person) -> None:
    body = f"{MARK} {random.choice(POSTS)} #loadbench"
    user.post("publish", "/posts/new/", {"body": body, "next": "/"})


PAGES: dict[str, Callable[[Person], None]] = {
    "home": home,
    "side cards": side_cards,
    "load more": load_more,
    "all": all_posts,
    "post page": post_page,
    "hashtag page": hashtag_page,
    "search": search,
    "inbox": inbox,
    "like": like,
    "comment": comment,
    "publish": publish,
}

COMMENTS = [
    "Thanks, that helps.",
    "I can take a look this afternoon.",
    "Agreed, let us bring it up at the next team meeting.",
    "Count me in.",
    "Do you have the link to the document?",
]
POSTS = [
    "The weekly numbers are in the shared folder.",
    "Who has the slides from this morning's review?",
    "Short update: the new build is on staging, feedback welcome.",
    "Coffee corner on the third floor is fixed again.",
]
