"""Home-feed benchmark: ARCHITECTURE.md rule 2, measured. Run by hand, never by `make test`.

    DATABASE_URL=postgres://... python bench/feed.py [--people 10000 --posts 1000000] [--reuse]
    make bench ARGS="--reuse"

Generates people, posts, hashtags and follows with bulk SQL (the ORM one row at a time would
take hours), then prints home-feed server time (selector, and the page rendered through
Django's test client) and queries per request for a very sparse follower, a sample of typical
followers and a heavy follower, on page 1 and on a keyset page 60 days back; the other
strategy for contrast; and EXPLAIN ANALYZE of the candidate queries. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import html
import math
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import production  # noqa: E402

# Production settings (DEBUG off: no query log, cached templates), as gunicorn runs the site;
# DEBUG=1 in the environment measures the development settings instead.
production.use()

import django  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.utils import OperationalError  # noqa: E402

PREFIX = "bench_"  # every generated person's username starts with it
NORMAL = "bench_u"
HEAVY = "bench_heavy"
SPARSE = "bench_sparse"
WIDE = "bench_wide"
QUIET = ("bench_quiet_1", "bench_quiet_2")
TAG_PREFIX = "bench_t"  # generated hashtags are bench_t0001, bench_t0002, ...
TAG_NAME_RE = "^bench_t[0-9]+$"
PAGE = 20

DEPARTMENTS = [
    "Engineering", "Sales", "Marketing", "Finance", "People", "Legal", "Support",
    "Operations", "Product", "Research", "Facilities", "Procurement",
]  # fmt: skip
LOCATIONS = ["Lyon", "Berlin", "Lisbon", "Montreal", "Osaka", "Nairobi", "Austin", "Remote"]
FIRST_NAMES = [
    "Ada", "Bram", "Chiara", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jun",
    "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
]  # fmt: skip
LAST_NAMES = [
    "Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
    "Ito", "Jensen", "Kowalski", "Laurent", "Moreau", "Novak", "Okafor", "Petrov",
    "Quispe", "Rossi", "Silva", "Tanaka",
]  # fmt: skip
TITLES = [
    "Engineer", "Account executive", "Designer", "Analyst", "Recruiter", "Counsel",
    "Support specialist", "Team lead", "Product manager", "Researcher", "Director",
]  # fmt: skip
SENTENCES = [
    "Shipped the new onboarding checklist today, thanks to everyone who reviewed it.",
    "Reminder: the quarterly planning session moves to Thursday afternoon.",
    "Looking for someone who knows the billing export format, any pointers?",
    "Great customer call this morning. They asked for the roadmap deck again.",
    "Lunch and learn on accessibility testing next week, all welcome.",
    "The staging environment is back up after the database migration.",
    "Our team hit the support response target for the third month running.",
    "Please fill in the office survey before Friday.",
    "Notes from the design review are in the shared folder.",
    "Welcome to the three new colleagues who joined the Lisbon office!",
    "Draft policy on travel expenses is open for comments until the end of the month.",
    "Small win: the nightly report now runs in four minutes instead of forty.",
]


@dataclass(frozen=True)
class Config:
    people: int
    posts: int
    tags: int
    seed: int
    repeat: int
    contrast_repeat: int
    typical: int
    reuse: bool
    # Also render every page in this language, in the same rounds as English (issue 14's
    # "no more than 2 ms above the English figure measured in the same run").
    language: str = ""

    @property
    def marker(self) -> str:
        return (
            f"bench data v3: people={self.people} posts={self.posts} tags={self.tags} "
            f"seed={self.seed}"
        )


def parse_args(argv: list[str] | None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000, help="people (default 10000)")
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts (default 1000000)")
    parser.add_argument("--tags", type=int, help="hashtag pool (default: posts/330, 100..3000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per person and page")
    parser.add_argument("--typical", type=int, default=20, help="typical followers sampled")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the generated data if it is there already"
    )
    parser.add_argument(
        "--language",
        default="",
        help="also render each page for the same person in this language (nl, de), "
        "alternating with English in every round",
    )
    args = parser.parse_args(argv)
    if args.people < 100 or args.posts < 1000:
        parser.error("use at least --people 100 and --posts 1000")
    tags = args.tags or max(100, min(3000, args.posts // 330))
    return Config(
        people=args.people,
        posts=args.posts,
        tags=tags,
        seed=args.seed,
        repeat=max(1, args.repeat),
        contrast_repeat=max(1, min(args.repeat, 10)),
        typical=args.typical,
        reuse=args.reuse,
        language=args.language,
    )


def say(message: str) -> None:
    print(message, flush=True)


def sql(statement: str, params: dict | list | None = None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []


class Step:
    """Prints how long a generation step took."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> None:
        self.start = time.perf_counter()
        print(f"  {self.what} ...", end="", flush=True)

    def __exit__(self, *exc) -> None:
        print(f" {time.perf_counter() - self.start:.1f} s", flush=True)


# --- data -------------------------------------------------------------------------------


def existing_marker() -> str | None:
    rows = sql("SELECT bio FROM people_user WHERE username = %s", [HEAVY])
    return rows[0][0] if rows else None


def delete_bench_data() -> None:
    """Remove what an earlier (maybe interrupted) run generated, and nothing else. Hashtags
    that other posts or people use stay (generation reuses them)."""
    from django.db import IntegrityError

    others = sql("SELECT count(*) FROM people_user WHERE NOT starts_with(username, %s)", [PREFIX])
    bench_users = "SELECT id FROM people_user WHERE starts_with(username, %(p)s)"
    bench_posts = f"SELECT id FROM posts_post WHERE author_id IN ({bench_users})"
    bench_comments = f"SELECT id FROM posts_comment WHERE post_id IN ({bench_posts})"
    try:
        with transaction.atomic():
            if others[0][0] == 0:
                # A database holding only bench data (the usual case): TRUNCATE is instant.
                sql("TRUNCATE people_user, posts_post, hashtags_taggedpost CASCADE")
            for table, column, subquery in [
                ("hashtags_taggedpost", "content_object_id", bench_posts),
                ("posts_reaction", "post_id", bench_posts),
                ("posts_postimage", "post_id", bench_posts),
                ("posts_post_mentions", "post_id", bench_posts),
                ("posts_post_mentions", "user_id", bench_users),
                ("posts_comment_mentions", "comment_id", bench_comments),
                ("posts_comment", "post_id", bench_posts),
                ("posts_post", "author_id", bench_users),
                ("people_follow", "follower_id", bench_users),
                ("people_follow", "followee_id", bench_users),
                ("hashtags_hashtagfollow", "user_id", bench_users),
                ("people_user", "id", bench_users),
            ]:
                sql(f"DELETE FROM {table} WHERE {column} IN ({subquery})", {"p": PREFIX})
            sql(
                """
                DELETE FROM hashtags_hashtag AS h WHERE name ~ %s
                AND NOT EXISTS (SELECT FROM hashtags_taggedpost WHERE tag_id = h.id)
                AND NOT EXISTS (SELECT FROM hashtags_hashtagfollow WHERE hashtag_id = h.id)
                """,
                [TAG_NAME_RE],
            )
    except IntegrityError as exc:
        sys.exit(
            f"bench/feed.py: cannot remove the earlier bench data, other rows refer to it "
            f"({exc}). Give the benchmark a database of its own (DATABASE_URL)."
        )


def post_counts(cfg: Config, rng: random.Random, normal_ids: list[int]) -> list[int]:
    """Posts per normal person over the year: a quarter are near-lurkers (0-5 posts), the
    rest share what is left by lognormal weights (a few prolific accounts post thousands)."""
    budget = cfg.posts - 3 - 4 - 1  # the quiet colleagues' and the sparse follower's
    counts = [0] * len(normal_ids)
    weights = {}
    for i in range(len(normal_ids)):
        if rng.random() < 0.25:
            counts[i] = rng.randint(0, 5)
        else:
            weights[i] = rng.lognormvariate(0, 1.3)
    left = max(0, budget - sum(counts))
    total = sum(weights.values())
    shares = {i: w * left / total for i, w in weights.items()}
    for i, share in shares.items():
        counts[i] = int(share)
    by_fraction = sorted(shares, key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in by_fraction[: left - sum(int(s) for s in shares.values())]:
        counts[i] += 1
    return counts


def generate(cfg: Config) -> None:
    from django.urls import reverse

    from posts import selectors

    rng = random.Random(cfg.seed)
    now = datetime.now().astimezone().replace(microsecond=0)
    n_normal = cfg.people - 5
    say(f"Generating {cfg.people} people, {cfg.posts} posts, {cfg.tags} hashtags ...")
    wide = selectors.PER_SOURCE_MAX + 100
    started = time.perf_counter()
    sql("SELECT setseed(%s)", [(cfg.seed % 1000) / 1000])

    with Step("departments, locations, people"), transaction.atomic():
        for table, names in (("people_department", DEPARTMENTS), ("people_location", LOCATIONS)):
            sql(
                f"INSERT INTO {table} (name) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                [names],
            )
        depts, locs = (
            [row[0] for row in sql(f"SELECT id FROM {table} WHERE name = ANY(%s)", [names])]
            for table, names in (("people_department", DEPARTMENTS), ("people_location", LOCATIONS))
        )
        sql(
            """
            INSERT INTO people_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, title, bio, avatar, updated_at,
                department_id, location_id, is_guest)
            SELECT '!', false, u.username,
                (%(first)s::text[])[1 + mod(g, cardinality(%(first)s::text[]))],
                (%(last)s::text[])[1 + mod(g / 7, cardinality(%(last)s::text[]))],
                u.username || '@example.com', false, true,
                %(now)s::timestamptz - random() * interval '1500 days',
                (%(titles)s::text[])[1 + mod(g, cardinality(%(titles)s::text[]))], '', '',
                %(now)s::timestamptz,
                (%(depts)s::bigint[])[1 + floor(random() * cardinality(%(depts)s::bigint[]))::int],
                (%(locs)s::bigint[])[1 + floor(random() * cardinality(%(locs)s::bigint[]))::int],
                false
            FROM generate_series(1, %(n)s) AS g,
                LATERAL (SELECT %(prefix)s || lpad(g::text, 5, '0') AS username) AS u
            UNION ALL
            SELECT '!', false, s.username, s.first_name, s.last_name,
                s.username || '@example.com', false, true, %(now)s::timestamptz - interval '2 years',
                s.title, '', '', %(now)s::timestamptz, (%(depts)s::bigint[])[1],
                (%(locs)s::bigint[])[1], false
            FROM (VALUES (%(heavy)s, 'Hedda', 'Heavy', 'Chief of staff'),
                         (%(sparse)s, 'Sami', 'Sparse', 'Archivist'),
                         (%(quiet1)s, 'Quentin', 'Quiet', 'Archivist'),
                         (%(quiet2)s, 'Qiu', 'Quiet', 'Archivist'),
                         (%(wide)s, 'Wanda', 'Wide', 'Programme manager'))
                AS s (username, first_name, last_name, title)
            """,
            {
                "first": FIRST_NAMES,
                "last": LAST_NAMES,
                "titles": TITLES,
                "depts": depts,
                "locs": locs,
                "now": now,
                "n": n_normal,
                "prefix": NORMAL,
                "heavy": HEAVY,
                "sparse": SPARSE,
                "quiet1": QUIET[0],
                "quiet2": QUIET[1],
                "wide": WIDE,
            },
        )
        ids = dict(
            sql("SELECT username, id FROM people_user WHERE starts_with(username, %s)", [PREFIX])
        )

    normal_ids = sorted(v for k, v in ids.items() if k.startswith(NORMAL) or k in (HEAVY, WIDE))
    counts = post_counts(cfg, rng, normal_ids)
    authors = [*normal_ids, ids[QUIET[0]], ids[QUIET[1]], ids[SPARSE]]
    counts += [3, 4, 1]
    tag_url = reverse("hashtags:detail", args=["TAG"]).split("TAG")[0]

    with Step("hashtags and the post plan"), transaction.atomic():
        width = max(4, len(str(cfg.tags)))
        names = [f"{TAG_PREFIX}{rank:0{width}d}" for rank in range(1, cfg.tags + 1)]
        # Tag rank 1 is the most popular; ranks are drawn log-uniformly, which is Zipf (s=1).
        sql(
            """
            INSERT INTO hashtags_hashtag (name, slug, created_at)
            SELECT name, name, %(now)s::timestamptz - interval '400 days'
            FROM unnest(%(names)s::text[]) AS name
            ON CONFLICT DO NOTHING;
            CREATE TEMP TABLE bench_tags AS
            SELECT n.rank::int, h.id, h.name
            FROM unnest(%(names)s::text[]) WITH ORDINALITY AS n (name, rank)
            JOIN hashtags_hashtag AS h USING (name);
            CREATE UNIQUE INDEX ON bench_tags (rank);
            CREATE TEMP TABLE bench_plan AS
            SELECT * FROM unnest(%(authors)s::bigint[], %(counts)s::int[]) AS p (author_id, n);
            """,
            {"now": now, "names": names, "authors": authors, "counts": counts},
        )

    with Step(f"{cfg.posts} posts over a year, ~30% with 1-2 hashtags"), transaction.atomic():
        zipf = "least(%(nt)s, floor(exp({r} * ln(%(nt)s + 1)))::int)"
        sql(
            f"""
            CREATE TEMP TABLE bench_gen AS
            SELECT row_number() OVER (ORDER BY created_at, author_id)::bigint AS seq,
                author_id, created_at,
                CASE WHEN r_tag < 0.30 THEN {zipf.format(r="r1")} END AS tag1,
                CASE WHEN r_tag < 0.105 THEN {zipf.format(r="r2")} END AS tag2
            FROM (
                SELECT p.author_id,
                    %(now)s::timestamptz - random() * interval '365 days' AS created_at,
                    random() AS r_tag, random() AS r1, random() AS r2
                FROM bench_plan AS p CROSS JOIN LATERAL generate_series(1, p.n)
            ) AS raw
            """,
            {"now": now, "nt": cfg.tags},
        )
        base = sql("SELECT coalesce(max(id), 0) FROM posts_post")[0][0]
        link = "' <a href=\"' || %(url)s || {t}.name || '/\" class=\"hashtag\">#' || {t}.name || '</a>'"
        # In time order, so ids grow with created_at and the heap is laid out by time, as in
        # a real database that received the posts one by one.
        sql(
            f"""
            INSERT INTO posts_post (id, body, body_html, like_count, comment_count, created_at,
                updated_at, edited_at, author_id, removal_reason, comments_locked)
            SELECT %(base)s + g.seq,
                s.body || coalesce(' #' || t1.name, '') || coalesce(' #' || t2.name, ''),
                '<p>' || s.html || coalesce({link.format(t="t1")}, '')
                    || coalesce({link.format(t="t2")}, '') || '</p>',
                0, 0, g.created_at, g.created_at, NULL, g.author_id, '', false
            FROM bench_gen AS g
            CROSS JOIN LATERAL (
                SELECT (%(bodies)s::text[])[1 + mod(g.seq, %(nb)s)] AS body,
                    (%(htmls)s::text[])[1 + mod(g.seq, %(nb)s)] AS html
            ) AS s
            LEFT JOIN bench_tags AS t1 ON t1.rank = g.tag1
            LEFT JOIN bench_tags AS t2 ON t2.rank = g.tag2 AND g.tag2 <> g.tag1
            ORDER BY g.seq
            """,
            {
                "base": base,
                "bodies": SENTENCES,
                "htmls": [html.escape(s) for s in SENTENCES],
                "nb": len(SENTENCES),
                "url": tag_url,
            },
        )
        sql(
            "SELECT setval(pg_get_serial_sequence('posts_post', 'id'), "
            "(SELECT max(id) FROM posts_post))"
        )

    with Step("hashtag links (created_at copied from the post)"), transaction.atomic():
        sql(
            """
            INSERT INTO hashtags_taggedpost (created_at, content_object_id, tag_id)
            SELECT g.created_at, %(base)s + g.seq, t.id
            FROM (
                SELECT seq, created_at, tag1 AS rank FROM bench_gen WHERE tag1 IS NOT NULL
                UNION
                SELECT seq, created_at, tag2 FROM bench_gen WHERE tag2 IS NOT NULL
            ) AS g
            JOIN bench_tags AS t USING (rank)
            ORDER BY g.seq, t.id
            """,
            {"base": base},
        )

    with Step("follows: 20-200 sources each, people and hashtags"), transaction.atomic():
        special = [ids[HEAVY], ids[SPARSE], ids[WIDE]]
        n = cfg.people
        sql(
            """
            CREATE TEMP TABLE bench_people AS
            SELECT id, department_id AS dept,
                row_number() OVER (ORDER BY random())::int AS pop_rank,
                row_number() OVER (PARTITION BY department_id ORDER BY id)::int AS dept_idx
            FROM people_user WHERE starts_with(username, %(prefix)s);
            CREATE UNIQUE INDEX ON bench_people (pop_rank);
            CREATE UNIQUE INDEX ON bench_people (dept, dept_idx);
            CREATE TEMP TABLE bench_follow_plan AS
            SELECT u.id AS follower_id, u.dept, d.size AS dept_size,
                u.k - round(u.k * u.share)::int AS k_people, round(u.k * u.share)::int AS k_tags
            FROM (
                SELECT id, dept, floor(20 * power(10, random()))::int AS k,
                    0.05 + random() * 0.30 AS share
                FROM bench_people WHERE id <> ALL(%(special)s)
            ) AS u
            JOIN (SELECT dept, count(*) AS size FROM bench_people GROUP BY dept) AS d USING (dept);
            ANALYZE bench_people;
            ANALYZE bench_follow_plan;
            """,
            {"prefix": PREFIX, "special": special},
        )
        # Half colleagues from the same department, 30% drawn by popularity (Zipf), 20% anyone.
        sql(
            """
            INSERT INTO people_follow (created_at, follower_id, followee_id)
            SELECT %(now)s::timestamptz - random() * interval '700 days', follower_id, followee_id
            FROM (
                SELECT follower_id, followee_id, k_people,
                    row_number() OVER (PARTITION BY follower_id ORDER BY random()) AS rn
                FROM (
                    SELECT DISTINCT f.follower_id, f.k_people, CASE
                        WHEN x.r < 0.5 THEN (SELECT m.id FROM bench_people AS m
                            WHERE m.dept = f.dept
                            AND m.dept_idx = 1 + floor(x.r2 * f.dept_size)::int)
                        WHEN x.r < 0.8 THEN (SELECT m.id FROM bench_people AS m
                            WHERE m.pop_rank = least(%(n)s, floor(exp(x.r2 * ln(%(n)s + 1)))::int))
                        ELSE (SELECT m.id FROM bench_people AS m
                            WHERE m.pop_rank = 1 + floor(x.r2 * %(n)s)::int)
                        END AS followee_id
                    FROM bench_follow_plan AS f
                    CROSS JOIN LATERAL (
                        SELECT random() AS r, random() AS r2
                        FROM generate_series(1, ceil(f.k_people * 1.5)::int)
                    ) AS x
                ) AS picks
                WHERE followee_id <> follower_id
            ) AS ranked
            WHERE rn <= k_people
            """,
            {"now": now, "n": n},
        )
        sql(
            """
            INSERT INTO hashtags_hashtagfollow (created_at, hashtag_id, user_id)
            SELECT %(now)s::timestamptz - random() * interval '700 days', t.id, follower_id
            FROM (
                SELECT follower_id, rank, k_tags,
                    row_number() OVER (PARTITION BY follower_id ORDER BY random()) AS rn
                FROM (
                    SELECT DISTINCT f.follower_id, f.k_tags, CASE
                        WHEN x.r < 0.7 THEN least(%(nt)s, floor(exp(x.r2 * ln(%(nt)s + 1)))::int)
                        ELSE 1 + floor(x.r2 * %(nt)s)::int END AS rank
                    FROM bench_follow_plan AS f
                    CROSS JOIN LATERAL (
                        SELECT random() AS r, random() AS r2
                        FROM generate_series(1, ceil(f.k_tags * 1.5)::int)
                    ) AS x
                ) AS picks
            ) AS ranked
            JOIN bench_tags AS t USING (rank)
            WHERE rn <= k_tags
            """,
            {"now": now, "nt": cfg.tags},
        )
        # The heavy follower: 900 people (fewer in a tiny run) and 120 hashtags. The sparse one:
        # two quiet colleagues. The wide one: people who post 0-5 times a year, just too many
        # for the per-source strategy: the single query's worst case.
        others = sorted(v for k, v in ids.items() if k not in (HEAVY, SPARSE))
        heavy_people = rng.sample(others, min(900, len(others)))
        heavy_tags: set[int] = set()
        while len(heavy_tags) < min(120, cfg.tags // 2):  # half popular, half any
            u = rng.random()
            zipf_rank = min(cfg.tags, int(math.exp(u * math.log(cfg.tags + 1))))
            heavy_tags.add(zipf_rank if rng.random() < 0.5 else 1 + int(u * cfg.tags))
        sql(
            """
            INSERT INTO people_follow (created_at, follower_id, followee_id)
            SELECT %(now)s::timestamptz, %(who)s, unnest(%(people)s::bigint[]);
            INSERT INTO hashtags_hashtagfollow (created_at, hashtag_id, user_id)
            SELECT %(now)s::timestamptz, t.id, %(who)s FROM bench_tags AS t
            WHERE t.rank = ANY(%(tags)s);
            INSERT INTO people_follow (created_at, follower_id, followee_id)
            SELECT %(now)s::timestamptz, %(sparse)s, unnest(%(quiet)s::bigint[]);
            INSERT INTO people_follow (created_at, follower_id, followee_id)
            SELECT %(now)s::timestamptz, %(wide)s, author_id FROM bench_plan
            WHERE n <= 5 AND author_id <> ALL(%(special)s) ORDER BY random() LIMIT %(n_wide)s;
            """,
            {
                "now": now,
                "who": ids[HEAVY],
                "people": heavy_people,
                "tags": sorted(heavy_tags),
                "sparse": ids[SPARSE],
                "quiet": [ids[QUIET[0]], ids[QUIET[1]]],
                "wide": ids[WIDE],
                "n_wide": wide,
                "special": special,
            },
        )
        sql("UPDATE people_user SET bio = %s WHERE username = %s", [cfg.marker, HEAVY])
        sql("DROP TABLE bench_gen, bench_plan, bench_tags, bench_people, bench_follow_plan")

    with Step("VACUUM ANALYZE"):
        for table in (
            "people_user", "posts_post", "hashtags_hashtag", "hashtags_taggedpost",
            "people_follow", "hashtags_hashtagfollow",
        ):  # fmt: skip
            sql(f"VACUUM ANALYZE {table}")
    say(f"Generated in {time.perf_counter() - started:.0f} s.")


def describe_data() -> None:
    rows = sql(
        """
        SELECT (SELECT count(*) FROM people_user WHERE starts_with(username, %(p)s)),
            (SELECT count(*) FROM posts_post),
            (SELECT count(*) FROM hashtags_taggedpost),
            (SELECT count(DISTINCT content_object_id) FROM hashtags_taggedpost),
            (SELECT count(*) FROM people_follow),
            (SELECT count(*) FROM hashtags_hashtagfollow),
            (SELECT pg_size_pretty(pg_total_relation_size('posts_post')))
        """,
        {"p": PREFIX},
    )[0]
    people, posts, links, tagged, follows, tag_follows, size = rows
    say(
        f"Data: {people} people, {posts} posts ({size} with indexes), {tagged} posts with "
        f"hashtags ({tagged / max(posts, 1):.0%}, {links} links), {follows} follows of people, "
        f"{tag_follows} of hashtags."
    )
    per_author = sql(
        """
        SELECT percentile_disc(ARRAY[0.25, 0.5, 0.9, 0.99, 1.0])
            WITHIN GROUP (ORDER BY coalesce(n, 0))
        FROM people_user AS u LEFT JOIN (SELECT author_id, count(*) AS n FROM posts_post
            GROUP BY author_id) AS c ON c.author_id = u.id
        WHERE starts_with(u.username, %s)
        """,
        [PREFIX],
    )[0][0]
    say(
        "Posts per person over the year, p25/p50/p90/p99/max: "
        + " / ".join(str(v) for v in per_author)
    )


# --- measuring --------------------------------------------------------------------------


@dataclass
class Follower:
    kind: str
    user: object
    people: list[int]  # followed people and the user
    tags: list[int]
    strategy: str = ""
    sql: dict[str, str] = field(default_factory=dict)  # page -> candidate query as run

    @property
    def sources(self) -> int:
        return len(self.people) + len(self.tags)


@dataclass
class Timings:
    selector: list[float] = field(default_factory=list)
    rendered: list[float] = field(default_factory=list)
    # The same pages rendered in --language, in the same rounds.
    rendered_translated: list[float] = field(default_factory=list)
    database: list[float] = field(default_factory=list)  # time in queries, per rendered page
    # CPU time of this process per rendered page: what the request costs a web worker, and
    # the figure least moved by other work on the machine.
    cpu: list[float] = field(default_factory=list)
    selector_queries: set[int] = field(default_factory=set)
    request_queries: set[int] = field(default_factory=set)


def ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


class QueryTimer:
    """An execute wrapper adding up the time spent in queries (network and server)."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, statement, params, many, context):
        start = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start


def ms_with_database(fn: Callable[[], object]) -> tuple[float, float, float]:
    """Wall time of fn, the part of it spent in queries, and this process's CPU time, in ms."""
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        cpu = time.process_time()
        total = ms(fn)
        cpu = time.process_time() - cpu
    return total, timer.seconds * 1000, cpu * 1000


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):7.1f} {p95(values):7.1f} {max(values):7.1f}"


def load_follower(kind: str, user) -> Follower:
    from hashtags.models import HashtagFollow
    from people.models import Follow

    people = set(Follow.objects.filter(follower=user).values_list("followee_id", flat=True))
    tags = HashtagFollow.objects.filter(user=user).values_list("hashtag_id", flat=True)
    return Follower(kind, user, sorted(people | {user.pk}), sorted(tags))


def candidates(follower: Follower, cursor) -> tuple[list[tuple], str]:
    """The candidate query exactly as home_feed runs it, and its SQL."""
    from django.test.utils import CaptureQueriesContext

    from access.viewer import Viewer
    from posts import selectors

    viewer = Viewer.of(follower.user)
    sources = selectors.FeedSources.of(viewer)
    with CaptureQueriesContext(connection) as ctx:
        rows = selectors.home_candidates(viewer, sources, cursor, PAGE)
    return rows, ctx.captured_queries[-1]["sql"]


def strategy_of(statement: str) -> str:
    return "per-source" if "LATERAL" in statement else "single query"


def forced(strategy: str):
    from posts import selectors

    return mock.patch.object(selectors, "PER_SOURCE_MAX", 10**9 if strategy == "per-source" else -1)


def measure(cfg: Config, followers: list[Follower], pages: dict) -> dict:
    """Selector and rendered times, and query counts, per (kind, page). Runs go round all
    people and pages in turn, so a busy moment on the machine hits every kind alike."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from posts import selectors

    # As esn/wsgi.py does in every web worker: long-lived objects out of the GC's full walks.
    gc.collect()
    gc.freeze()
    results: dict[tuple[str, str], Timings] = {}
    per_person: dict[tuple[str, str], list[float]] = {}
    runs = []
    clients = []
    for follower in followers:
        client = Client(SERVER_NAME="localhost")
        client.force_login(follower.user)
        clients.append(client)
        for page, cursor in pages.items():
            _rows, statement = candidates(follower, cursor)
            follower.strategy = strategy_of(statement)
            follower.sql[page] = statement
            url = "/" if cursor is None else f"/?cursor={cursor.encode()}"

            def select(cursor=cursor, follower=follower):
                return selectors.home_feed(follower.user, cursor=cursor).items

            def render(url=url, client=client):
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url} answered {response.status_code}")
                return response.content

            timings = results.setdefault((follower.kind, page), Timings())
            with CaptureQueriesContext(connection) as ctx:
                select()
            timings.selector_queries.add(len(ctx.captured_queries))
            # Counted on the second request: the first after signing in also records the
            # visit (one UPDATE per person every 5 minutes, esn.middleware.LastSeenMiddleware).
            render()
            with CaptureQueriesContext(connection) as ctx:
                render()
            timings.request_queries.add(len(ctx.captured_queries))
            mine = per_person[(follower.user.username, page)] = []
            runs.append((select, render, timings, mine, follower.user.pk))
    # The home page's side cards (trending, suggestions), which it loads with htmx after the
    # feed: a request of their own, measured apart from the feed's.
    cards: dict[str, list[float]] = {}
    card_queries: dict[str, set[int]] = {}
    card_runs = []
    for follower, client in zip(followers, clients, strict=True):

        def load_cards(client=client):
            response = client.get("/discover/", headers={"HX-Request": "true"})
            if response.status_code != 200:
                raise RuntimeError(f"GET /discover/ answered {response.status_code}")
            return response.content

        with CaptureQueriesContext(connection) as ctx:
            load_cards()
        card_queries.setdefault(follower.kind, set()).add(len(ctx.captured_queries))
        card_runs.append((load_cards, cards.setdefault(follower.kind, [])))
    from people.models import User

    def speak(user_id: int, language: str) -> None:
        # Outside the timed request: the request reads the person's language from their row.
        User.objects.filter(pk=user_id).update(language=language)

    for _ in range(cfg.repeat):
        for select, render, timings, mine, user_id in runs:
            timings.selector.append(ms(select))
            if cfg.language:
                speak(user_id, "en")
            total, in_queries, cpu = ms_with_database(render)
            timings.rendered.append(total)
            timings.database.append(in_queries)
            timings.cpu.append(cpu)
            mine.append(total)
            if cfg.language:
                speak(user_id, cfg.language)
                timings.rendered_translated.append(ms(render))
                speak(user_id, "")
        for load_cards, times in card_runs:
            times.append(ms(load_cards))
    for client in clients:
        client.logout()  # deletes the session
    return {"kinds": results, "people": per_person, "cards": cards, "card_queries": card_queries}


def rarest_hashtag() -> int:
    return sql(
        """
        SELECT t.tag_id FROM hashtags_taggedpost AS t JOIN hashtags_hashtag AS h ON h.id = t.tag_id
        WHERE h.name ~ %s GROUP BY t.tag_id ORDER BY count(*), t.tag_id LIMIT 1
        """,
        [TAG_NAME_RE],
    )[0][0]


def contrast(cfg: Config, followers: list[Follower], pages: dict) -> dict:
    """The strategy home_feed did not choose, timed the same way (selector only); a check
    that both strategies pick the same posts; and rule 2's trap: the sparse follower with one
    quiet hashtag added (not in the data: the candidate query alone, both strategies)."""
    from posts import selectors

    results: dict[tuple[str, str, str], list[float]] = {}
    disagreements = []
    for follower in followers:
        other = "per-source" if follower.strategy == "single query" else "single query"
        for page, cursor in pages.items():
            chosen, _sql = candidates(follower, cursor)
            with forced(other):
                rows, statement = candidates(follower, cursor)
                follower.sql[f"{page} ({other})"] = statement
                if rows != chosen:
                    disagreements.append((follower.user.username, page))
                times = results.setdefault((follower.kind, other, page), [])
                selectors.home_feed(follower.user, cursor=cursor)  # warm-up
                for _ in range(cfg.contrast_repeat):
                    times.append(
                        ms(lambda c=cursor, f=follower: selectors.home_feed(f.user, cursor=c))
                    )

    sparse = next(f for f in followers if f.kind == "sparse")
    trap = Follower("sparse+#", sparse.user, sparse.people, [rarest_hashtag()])
    for strategy in ("per-source", "single query"):
        for page, cursor in pages.items():
            with forced(strategy):
                rows, statement = candidates(trap, cursor)
                trap.sql[f"{page} ({strategy})"] = statement
                times = results.setdefault((trap.kind, strategy, page), [])
                for _ in range(3):
                    times.append(ms(lambda c=cursor: candidates(trap, c)))
    return {"times": results, "disagreements": disagreements, "trap": trap}


def explain(statement: str) -> str:
    rows = sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement)
    return "\n".join("    " + LONG_ARRAY.sub(shorten_array, r[0]) for r in rows)


LONG_ARRAY = re.compile(r"'\{([0-9,]{60,})\}'")


def shorten_array(match: re.Match) -> str:
    ids = match.group(1).split(",")
    return "'{" + ",".join(ids[:5]) + f",... {len(ids)} ids}}'"


def counts(values: set[int]) -> str:
    return str(min(values)) if len(values) == 1 else f"{min(values)}-{max(values)}"


def report(cfg, followers, pages, measured, other) -> None:
    from posts import selectors

    kinds = ["sparse", "typical", "wide", "heavy"]
    by_kind = {k: [f for f in followers if f.kind == k] for k in kinds}
    say("")
    say(
        f"Home feed, server time in ms: p50 / p95 / max over {cfg.repeat} runs per person and "
        f"page. PER_SOURCE_MAX = {selectors.PER_SOURCE_MAX}."
    )
    say(
        "'selector' = home_feed(); 'rendered' = GET / through the test client (the whole "
        "request: session, user, feed, template); 'in SQL' = p50 of the rendered request's "
        "time spent in queries; 'CPU' = this process's CPU time per rendered request."
    )
    say(f"Settings: {production.describe()}. Load average now: {load_average()}.")
    say(
        "sparse = follows two quiet colleagues (3 and 4 posts a year), no hashtags; typical = "
        "a random sample of everyone else (20-200 sources, ~80% people); wide = follows "
        "PER_SOURCE_MAX + 100 people who post 0-5 times a year (when generated; the single "
        "query's worst case); heavy = 900 people and 120 hashtags."
    )
    say("")
    head = f"{'kind':8} {'people':>6} {'sources':>9}  {'strategy':29} {'page':9}"
    say(
        f"{head} {'selector p50/p95/max':>24} {'rendered p50/p95/max':>24} {'in SQL':>7}"
        f" {'CPU p50/p95':>12}  queries sel/req"
    )
    for kind in kinds:
        group = by_kind[kind]
        sizes = sorted(f.sources for f in group)
        span = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
        strategies = sorted({f.strategy for f in group})
        if len(strategies) == 1:
            strategy = strategies[0]
        else:
            strategy = ", ".join(f"{s} {sum(f.strategy == s for f in group)}" for s in strategies)
        for page in pages:
            t = measured["kinds"][(kind, page)]
            say(
                f"{kind:8} {len(group):>6} {span:>9}  {strategy:29} {page:9} "
                f"{summary(t.selector):>24} {summary(t.rendered):>24} "
                f"{statistics.median(t.database):7.1f} "
                f"{statistics.median(t.cpu):6.1f}{p95(t.cpu):6.1f}  "
                f"{counts(t.selector_queries)} / {counts(t.request_queries)}"
            )

    if cfg.language:
        say("")
        say(
            f"Rendered in English and in {cfg.language!r}, the same person and page in the same "
            "round, ms p50 / p95 / max; the difference of the p95s, and the median of the "
            "per-round differences:"
        )
        worst_gap = 0.0
        for kind in kinds:
            for page in pages:
                t = measured["kinds"][(kind, page)]
                gap = p95(t.rendered_translated) - p95(t.rendered)
                # Each round renders both: the median of the per-round differences is the
                # figure least moved by a busy moment on the machine.
                paired = statistics.median(
                    b - a for a, b in zip(t.rendered, t.rendered_translated, strict=True)
                )
                worst_gap = max(worst_gap, gap)
                say(
                    f"  {kind:8} {page:9} en {summary(t.rendered):>24}  "
                    f"{cfg.language} {summary(t.rendered_translated):>24}  "
                    f"p95 {gap:+.1f}  paired median {paired:+.1f}"
                )
        say(
            f"Target: p95 in {cfg.language} no more than 2 ms above English, for every kind and "
            f"page: {'MET' if worst_gap <= 2 else 'NOT MET'} (largest: {worst_gap:+.1f} ms)"
        )

    say("")
    say(
        "Side cards (GET /discover/ as htmx: trending hashtags and suggestions, loaded by the "
        "home page after its feed), ms p50 / p95 / max, and queries:"
    )
    for kind in kinds:
        say(
            f"  {kind:8} {summary(measured['cards'][kind]):>24}  "
            f"{counts(measured['card_queries'][kind])}"
        )

    say("")
    say(
        f"The other strategy, forced for contrast (selector only, ms p50 / p95 / max over "
        f"{cfg.contrast_repeat} runs per person and page):"
    )
    for (kind, strategy, page), times in other["times"].items():
        say(f"  {kind:8} {strategy:13} {page:9} {summary(times)}")
    say(
        "  (sparse+# = the sparse follower plus the quietest hashtag, a case not in the data: "
        "the candidate query alone, 3 runs, both strategies. ARCHITECTURE.md rule 2's trap.)"
    )
    if other["disagreements"]:
        say(f"  !! the strategies picked different posts for {other['disagreements']}")
    else:
        say("  Both strategies picked the same posts for every person and page.")

    say("")
    worst_kind = max(
        ((k, p, p95(t.rendered)) for (k, p), t in measured["kinds"].items()), key=lambda x: x[2]
    )
    worst_person = max(
        ((who, p, p95(v), max(v)) for (who, p), v in measured["people"].items()),
        key=lambda x: x[2],
    )
    slowest = max(max(v) for v in measured["people"].values())
    ok1 = worst_kind[2] <= 20
    ok2 = worst_person[2] <= 80
    most_queries = max(max(t.request_queries) for t in measured["kinds"].values())
    say(
        f"Target p95 <= 20 ms rendered, for every kind and page (issue 16): "
        f"{'MET' if ok1 else 'NOT MET'} "
        f"(highest: {worst_kind[0]}, {worst_kind[1]}: {worst_kind[2]:.1f} ms)"
    )
    say(
        f"Target <= 8 queries per request (issue 16): {'MET' if most_queries <= 8 else 'NOT MET'} "
        f"(most: {most_queries})"
    )
    say(
        f"Target worst follower <= 80 ms (highest p95 of one person): "
        f"{'MET' if ok2 else 'NOT MET'} ({worst_person[0]}, {worst_person[1]}: "
        f"p95 {worst_person[2]:.1f} ms, max {worst_person[3]:.1f} ms); "
        f"slowest single request {slowest:.1f} ms"
    )

    trap = other["trap"]
    for follower in (by_kind["sparse"][0], by_kind["heavy"][0], trap):
        for page, statement in follower.sql.items():
            if follower is trap and not page.startswith("page 1"):
                continue
            say("")
            say(f"EXPLAIN ANALYZE, {follower.kind} ({follower.sources} sources), {page}:")
            say(explain(statement))


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    production.collect_static()
    try:
        django.setup()
    except ImproperlyConfigured as exc:
        sys.exit(f"bench/feed.py: {exc}")
    from django.core.management import call_command

    from people.models import User
    from posts.models import Post
    from posts.selectors import Cursor

    try:
        call_command("migrate", verbosity=0, interactive=False)
    except OperationalError as exc:
        sys.exit(f"bench/feed.py: cannot use the database ({exc}). Create it first, e.g. createdb.")
    marker = existing_marker()
    if cfg.reuse and marker == cfg.marker:
        say(f"Reusing the data already generated ({marker}).")
    else:
        if marker is not None or User.objects.filter(username__startswith=PREFIX).exists():
            say(f"Deleting earlier bench data ({marker or 'incomplete'}) ...")
            delete_bench_data()
        generate(cfg)
    describe_data()

    newest = Post.objects.order_by("-created_at", "-id").values_list("created_at", flat=True)[0]
    back = (
        Post.objects.filter(created_at__lte=newest - timedelta(days=60))
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")
        .first()
    )
    pages = {"page 1": None, "-60 days": Cursor(*back)}

    rng = random.Random(cfg.seed)
    normal = list(
        User.objects.filter(username__startswith=NORMAL).order_by("id").values_list("id", flat=True)
    )
    sample = sorted(rng.sample(normal, min(cfg.typical, len(normal))))
    users = {u.pk: u for u in User.objects.filter(pk__in=sample)}
    followers = [
        load_follower("sparse", User.objects.get(username=SPARSE)),
        *(load_follower("typical", users[pk]) for pk in sample),
        load_follower("wide", User.objects.get(username=WIDE)),
        load_follower("heavy", User.objects.get(username=HEAVY)),
    ]
    say(f"Measuring {len(followers)} people, {cfg.repeat} runs per page ...")
    measured = measure(cfg, followers, pages)
    say("Timing the other strategy for contrast ...")
    other = contrast(cfg, followers, pages)
    report(cfg, followers, pages, measured, other)


if __name__ == "__main__":
    main()
