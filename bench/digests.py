"""Digest benchmark: one worker process building and sending a full round. Run by hand, never
by `make test`.

    SECRET_KEY=bench python bench/digests.py [--users 10000] [--chunk-size 50] [--regenerate]
    python bench/digests.py --database-url postgres://postgres@127.0.0.1:5432/esn_bench_digests

Generates (bulk SQL, once; reused by later runs) people with realistic follows, groups and
digest choices and a week of posts, then runs the real code path in this one process:
`planning.plan(now=..., enqueue=<collect>)` and `planning.send_chunk(chunk, now=...)` for every
chunk, with Django's locmem email backend. Prints digests built per second per worker
process, chunk times split into claim / build / render+send / ledger, queries per chunk and
per digest, and EXPLAIN (ANALYZE, BUFFERS) of the candidates SQL of one chunk. The DigestRun
ledger is emptied before each run, so every run measures a full round. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import html
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
# Run as a script, this file's folder comes first on sys.path, and this file is called
# `digests` like the app: keep the folder off the path so `import digests` finds the app.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "esn_bench_digests"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
# Like a Celery worker in production: DEBUG off (it needs some SECRET_KEY to start).
os.environ.setdefault("DEBUG", "0")
if not os.environ.get("SECRET_KEY") and not os.environ.get("SECRET_KEY_FILE"):
    os.environ["SECRET_KEY"] = "bench-digests-not-a-secret"  # noqa: S105
# Never SMTP, whatever the environment says: messages are built, serialised and kept in memory.
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

import django  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.utils import OperationalError  # noqa: E402

from bench.feed import (  # noqa: E402
    DEPARTMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    LONG_ARRAY,
    SENTENCES,
    TITLES,
    Step,
    p95,
    say,
    shorten_array,
    sql,
)

PREFIX = "bench_"  # every generated username starts with it
USER_PREFIX = "bench_u"
TAG_PREFIX = "bench_t"
META_TABLE = "bench_digests_meta"  # what was generated, and the measured "now"
DATA_VERSION = 1
# Location -> the time zone its people may choose for their digest ("" = the site's zone).
ZONES = {
    "Lyon": "Europe/Paris",
    "Berlin": "Europe/Berlin",
    "Lisbon": "Europe/Lisbon",
    "Montreal": "America/Toronto",
    "Osaka": "Asia/Tokyo",
    "Nairobi": "Africa/Nairobi",
    "Austin": "America/Chicago",
    "Remote": "",
}
EXPLAIN_LINES = 80


@dataclass(frozen=True)
class Config:
    users: int
    posts: int  # in the measured week
    history_weeks: int  # the same weekly volume again, before the measured week
    tags: int
    groups: int
    seed: int
    chunk_size: int | None
    gc_freeze: bool
    overlap: bool
    regenerate: bool
    database_url: str

    def marker(self) -> dict:
        return {
            "version": DATA_VERSION,
            "users": self.users,
            "posts": self.posts,
            "history_weeks": self.history_weeks,
            "tags": self.tags,
            "groups": self.groups,
            "seed": self.seed,
        }


def parse_args(argv: list[str] | None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000, help="people (default 10000)")
    parser.add_argument(
        "--posts", type=int, default=40_000, help="posts in the measured week (default 40000)"
    )
    parser.add_argument(
        "--history-weeks",
        type=int,
        default=3,
        help="weeks of older posts at the same rate before the measured one (default 3)",
    )
    parser.add_argument("--tags", type=int, help="hashtag pool (default users/25, 50..2000)")
    parser.add_argument("--groups", type=int, help="groups (default users/40, at least 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--chunk-size", type=int, help="people per chunk (default settings.DIGEST_CHUNK_SIZE)"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the data even if it is there"
    )
    parser.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gc.freeze() after the warm-up, as a Celery worker child does at start-up "
        "(esn/celery.py) and esn/wsgi.py at import (default on; --no-gc-freeze: off)",
    )
    parser.add_argument(
        "--overlap",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="build a chunk's second half on its own thread while the first is mailed, as "
        "send_chunk does (default on; --no-overlap: the whole chunk in turn, for comparison)",
    )
    parser.add_argument(
        "--database-url",
        help=f"database of its own, created if missing (default: database {DEFAULT_DATABASE} "
        f"on the DATABASE_URL server, or on {DEFAULT_SERVER})",
    )
    args = parser.parse_args(argv)
    if args.users < 100 or args.posts < 100:
        parser.error("use at least --users 100 and --posts 100")
    if args.chunk_size is not None and args.chunk_size < 1:
        parser.error("--chunk-size must be at least 1")
    return Config(
        users=args.users,
        posts=args.posts,
        history_weeks=max(0, args.history_weeks),
        tags=args.tags or max(50, min(2000, args.users // 25)),
        groups=args.groups or max(5, args.users // 40),
        seed=args.seed,
        chunk_size=args.chunk_size,
        gc_freeze=args.gc_freeze,
        overlap=args.overlap,
        regenerate=args.regenerate,
        database_url=args.database_url or default_database_url(),
    )


def default_database_url() -> str:
    server = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_SERVER
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{DEFAULT_DATABASE}"))


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is not there, through the server's maintenance database."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql as pgsql

    cfg = dj_database_url.parse(url)
    name = cfg["NAME"]
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    error = None
    for maintenance in ("postgres", "template1"):
        try:
            conn = psycopg2.connect(dbname=maintenance, **params)
        except psycopg2.OperationalError as exc:
            error = exc
            continue
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cur.fetchone() is None:
                    say(f"Creating database {name} ...")
                    cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        finally:
            conn.close()
        return
    sys.exit(f"bench/digests.py: cannot reach the PostgreSQL server of {url} ({error})")


# --- data -------------------------------------------------------------------------------


def last_monday_1600_utc() -> datetime:
    """The measured "now": the latest Monday 16:00 UTC. Weekly digests (site default: Monday
    8:00) are due everywhere from Montreal to Nairobi; daily ones too, except where it is
    already Tuesday night (Osaka), as in a real round."""
    now = datetime.now(UTC)
    anchor = (now - timedelta(days=now.weekday())).replace(
        hour=16, minute=0, second=0, microsecond=0
    )
    return anchor if anchor <= now else anchor - timedelta(days=7)


def read_meta() -> dict | None:
    sql(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
    rows = sql(f"SELECT value::text FROM {META_TABLE} WHERE key = 'data'")
    return json.loads(rows[0][0]) if rows else None


def wipe() -> None:
    """Empty the tables the benchmark fills. Only in a database holding nothing else."""
    others = sql("SELECT count(*) FROM people_user WHERE NOT starts_with(username, %s)", [PREFIX])
    if others[0][0]:
        sys.exit(
            f"bench/digests.py: the database holds {others[0][0]} people the benchmark did not "
            "generate. Give it a database of its own (--database-url)."
        )
    sql(
        f"""
        TRUNCATE people_user, people_department, people_location, groups_group,
            hashtags_hashtag, posts_post, digests_sitesettings, {META_TABLE}
        RESTART IDENTITY CASCADE
        """
    )


def post_counts(rng: random.Random, authors: int, total: int, weeks: int) -> list[int]:
    """Posts per author over `weeks`: a quarter are near-lurkers (0 to 1 a week), the rest
    share what is left by lognormal weights (sigma 1.3: a few post several times a day)."""
    counts = [0] * authors
    weights = {}
    for i in range(authors):
        if rng.random() < 0.25:
            counts[i] = rng.randint(0, weeks)
        else:
            weights[i] = rng.lognormvariate(0, 1.3)
    left = max(0, total - sum(counts))
    scale = left / sum(weights.values())
    shares = {i: w * scale for i, w in weights.items()}
    for i, share in shares.items():
        counts[i] = int(share)
    by_fraction = sorted(shares, key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in by_fraction[: total - sum(counts)]:
        counts[i] += 1
    return counts


def generate(cfg: Config, anchor: datetime) -> None:
    from django.urls import reverse

    from digests.models import SiteSettings

    rng = random.Random(cfg.seed)
    weeks = 1 + cfg.history_weeks
    say(
        f"Generating {cfg.users} people, {cfg.groups} groups, {cfg.tags} hashtags and "
        f"{cfg.posts * weeks} posts ({cfg.posts} in the week before {anchor:%a %Y-%m-%d %H:%M} "
        "UTC) ..."
    )
    started = time.perf_counter()
    sql("SELECT setseed(%s)", [(cfg.seed % 1000) / 1000])
    width = max(5, len(str(cfg.users)))
    common = {"now": anchor, "prefix": PREFIX}

    with Step("departments, locations, people"), transaction.atomic():
        for table, names in (("people_department", DEPARTMENTS), ("people_location", list(ZONES))):
            sql(f"INSERT INTO {table} (name) SELECT unnest(%s::text[])", [names])
        depts = [r[0] for r in sql("SELECT id FROM people_department ORDER BY id")]
        locs = [r[0] for r in sql("SELECT id FROM people_location ORDER BY id")]
        # 1% external guests, 0.1% site admins, 2% deactivated. Last visit: 35% in the last
        # two days, 25% earlier in the week, the rest longer ago or never.
        sql(
            """
            INSERT INTO people_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, title, bio, avatar, updated_at,
                department_id, location_id, is_guest, guest_expires_on, last_seen_at)
            SELECT '!', false, u.username,
                (%(first)s::text[])[1 + mod(g, cardinality(%(first)s::text[]))],
                (%(last)s::text[])[1 + mod(g / 7, cardinality(%(last)s::text[]))],
                u.username || '@example.com', mod(g, 1000) = 7, random() >= 0.02,
                %(now)s::timestamptz - interval '30 days' - random() * interval '1500 days',
                (%(titles)s::text[])[1 + mod(g, cardinality(%(titles)s::text[]))], '', '',
                %(now)s::timestamptz,
                (%(depts)s::bigint[])[1 + floor(random() * cardinality(%(depts)s::bigint[]))::int],
                (%(locs)s::bigint[])[1 + floor(random() * cardinality(%(locs)s::bigint[]))::int],
                mod(g, 100) = 50,
                CASE WHEN mod(g, 100) = 50 THEN (%(now)s::timestamptz + interval '180 days')::date
                END,
                CASE WHEN u.r < 0.35 THEN %(now)s::timestamptz - random() * interval '2 days'
                    WHEN u.r < 0.60 THEN %(now)s::timestamptz - interval '2 days'
                        - random() * interval '5 days'
                    WHEN u.r < 0.90 THEN %(now)s::timestamptz - interval '8 days'
                        - random() * interval '60 days'
                END
            FROM generate_series(1, %(n)s) AS g,
                LATERAL (SELECT %(user)s || lpad(g::text, %(width)s, '0') AS username,
                    random() AS r) AS u
            """,
            {
                **common,
                "first": FIRST_NAMES,
                "last": LAST_NAMES,
                "titles": TITLES,
                "depts": depts,
                "locs": locs,
                "n": cfg.users,
                "user": USER_PREFIX,
                "width": width,
            },
        )
        # Employees, in a random popularity order (rank 1 is the most followed) and numbered
        # within their department.
        sql(
            """
            CREATE TEMP TABLE bench_people AS
            SELECT id, department_id AS dept, location_id AS loc, is_active,
                row_number() OVER (ORDER BY random())::int AS pop_rank,
                row_number() OVER (PARTITION BY department_id ORDER BY id)::int AS dept_idx,
                CASE WHEN random() < 0.15 THEN 0
                    ELSE 1 + floor(6 * power(random(), 2))::int END AS n_groups,
                random() < 0.25 AS tweaker
            FROM people_user WHERE starts_with(username, %(prefix)s) AND NOT is_guest;
            CREATE UNIQUE INDEX ON bench_people (pop_rank);
            CREATE UNIQUE INDEX ON bench_people (dept, dept_idx);
            CREATE UNIQUE INDEX ON bench_people (id);
            ANALYZE bench_people;
            UPDATE people_user AS u SET sponsor_id = (
                SELECT id FROM bench_people WHERE pop_rank = 1 + mod(u.id, 50))
            WHERE u.is_guest;
            """,
            common,
        )
        employees = sql("SELECT count(*) FROM bench_people")[0][0]

    with Step("groups and memberships"), transaction.atomic():
        # Rank 1 is the biggest group (Zipf); the five biggest are open, like the all-company
        # groups. Then 55% open, 35% private (a third of them take guests), 10% secret.
        sql(
            """
            CREATE TEMP TABLE bench_groups AS
            SELECT g AS rank, CASE WHEN g <= 5 OR r < 0.55 THEN 'open'
                    WHEN r < 0.90 THEN 'private' ELSE 'secret' END AS kind,
                r BETWEEN 0.55 AND 0.67 AS allow_guests
            FROM (SELECT g, random() AS r FROM generate_series(1, %(n)s) AS g) AS x;
            INSERT INTO groups_group (name, slug, description, guidelines, cover, kind,
                allow_guests, created_at, member_count, last_activity_at)
            SELECT (%(depts)s::text[])[1 + mod(rank, cardinality(%(depts)s::text[]))] || ' '
                    || kind || ' group ' || rank,
                'bench-g' || lpad(rank::text, 4, '0'), '', '', '', kind, allow_guests,
                %(now)s::timestamptz - interval '400 days', 0, %(now)s::timestamptz
            FROM bench_groups ORDER BY rank;
            ALTER TABLE bench_groups ADD COLUMN id bigint;
            UPDATE bench_groups AS b SET id = g.id FROM groups_group AS g
            WHERE g.slug = 'bench-g' || lpad(b.rank::text, 4, '0');
            CREATE UNIQUE INDEX ON bench_groups (rank);
            INSERT INTO groups_membership (role, joined_at, muted, group_id, user_id)
            SELECT DISTINCT ON (b.id, picks.user_id) 'member',
                %(now)s::timestamptz - interval '8 days' - random() * interval '500 days',
                random() < 0.05, b.id, picks.user_id
            FROM (
                SELECT p.id AS user_id, least(%(n)s, floor(exp(random() * ln(%(n)s + 1)))::int)
                    AS rank
                FROM bench_people AS p CROSS JOIN LATERAL generate_series(1, p.n_groups)
            ) AS picks JOIN bench_groups AS b USING (rank);
            INSERT INTO groups_membership (role, joined_at, muted, group_id, user_id)
            SELECT 'member', %(now)s::timestamptz - interval '30 days', false, x.id, u.id
            FROM people_user AS u CROSS JOIN LATERAL (
                SELECT id FROM bench_groups WHERE allow_guests AND u.id > 0
                ORDER BY random() LIMIT 1 + mod(u.id, 2)) AS x
            WHERE u.is_guest;
            UPDATE groups_membership SET role = 'owner' WHERE id IN (
                SELECT DISTINCT ON (group_id) id FROM groups_membership
                ORDER BY group_id, joined_at);
            UPDATE groups_group AS g SET member_count = c.n
            FROM (SELECT group_id, count(*) AS n FROM groups_membership GROUP BY group_id) AS c
            WHERE c.group_id = g.id;
            """,
            {**common, "n": cfg.groups, "depts": DEPARTMENTS},
        )

    authors = [
        r[0] for r in sql("SELECT id FROM bench_people WHERE is_active ORDER BY pop_rank, id")
    ]
    counts = post_counts(rng, len(authors), cfg.posts * weeks, weeks)
    tag_url = reverse("hashtags:detail", args=["TAG"]).split("TAG")[0]

    with Step("hashtags"), transaction.atomic():
        names = [f"{TAG_PREFIX}{rank:04d}" for rank in range(1, cfg.tags + 1)]
        sql(
            """
            INSERT INTO hashtags_hashtag (name, slug, created_at)
            SELECT name, name, %(now)s::timestamptz - interval '400 days'
            FROM unnest(%(names)s::text[]) AS name;
            CREATE TEMP TABLE bench_tags AS
            SELECT n.rank::int, h.id, h.name
            FROM unnest(%(names)s::text[]) WITH ORDINALITY AS n (name, rank)
            JOIN hashtags_hashtag AS h USING (name);
            CREATE UNIQUE INDEX ON bench_tags (rank);
            CREATE TEMP TABLE bench_plan AS
            SELECT * FROM unnest(%(authors)s::bigint[], %(counts)s::int[]) AS p (author_id, n);
            """,
            {**common, "names": names, "authors": authors, "counts": counts},
        )

    label = f"{cfg.posts * weeks} posts over {weeks} week(s), in groups, hashtags, mentions"
    with Step(label), transaction.atomic():
        zipf = "least(%(nt)s, floor(exp({r} * ln(%(nt)s + 1)))::int)"
        # Likes are Pareto-like: median 0, p90 ~6, p99 ~60, capped at 400. About 30% of
        # posts carry 1-2 hashtags (Zipf), 30% of posts by group members go to one of
        # their groups, 0.5% were removed by a moderator.
        sql(
            f"""
            CREATE TEMP TABLE bench_gen AS
            SELECT row_number() OVER (ORDER BY created_at, author_id)::bigint AS seq,
                author_id, created_at,
                CASE WHEN r_tag < 0.30 THEN {zipf.format(r="r1")} END AS tag1,
                CASE WHEN r_tag < 0.105 THEN {zipf.format(r="r2")} END AS tag2,
                r_group < 0.30 AS in_group,
                least(400, floor(power(1 - r_like, -0.9))::int - 1) AS likes,
                r_comment, r_removed < 0.005 AS removed
            FROM (
                SELECT p.author_id,
                    %(now)s::timestamptz - random() * %(span)s::interval AS created_at,
                    random() AS r_tag, random() AS r1, random() AS r2, random() AS r_group,
                    random() AS r_like, random() AS r_comment, random() AS r_removed
                FROM bench_plan AS p CROSS JOIN LATERAL generate_series(1, p.n)
            ) AS raw;
            ANALYZE bench_gen;
            """,
            {**common, "nt": cfg.tags, "span": timedelta(days=7 * weeks)},
        )
        base = sql("SELECT coalesce(max(id), 0) FROM posts_post")[0][0]
        link = (
            "' <a href=\"' || %(url)s || {t}.name || '/\" class=\"hashtag\">#' || {t}.name "
            "|| '</a>'"
        )
        # In time order, so ids and the heap follow created_at, as in a live database.
        sql(
            f"""
            INSERT INTO posts_post (id, body, body_html, like_count, comment_count,
                created_at, updated_at, edited_at, author_id, removal_reason, removed_at,
                comments_locked, group_id)
            SELECT %(base)s + g.seq,
                s.body || coalesce(' #' || t1.name, '') || coalesce(' #' || t2.name, ''),
                '<p>' || s.html || coalesce({link.format(t="t1")}, '')
                    || coalesce({link.format(t="t2")}, '') || '</p>',
                g.likes, floor(g.likes * g.r_comment * 0.5)::int
                    + (g.r_comment < 0.2)::int,
                g.created_at, g.created_at, NULL, g.author_id, '',
                CASE WHEN g.removed THEN g.created_at + interval '1 hour' END, false,
                grp.group_id
            FROM bench_gen AS g
            CROSS JOIN LATERAL (
                SELECT (%(bodies)s::text[])[1 + mod(g.seq, %(nb)s)] AS body,
                    (%(htmls)s::text[])[1 + mod(g.seq, %(nb)s)] AS html
            ) AS s
            LEFT JOIN LATERAL (
                SELECT m.group_id FROM groups_membership AS m
                WHERE g.in_group AND m.user_id = g.author_id
                ORDER BY random() LIMIT 1
            ) AS grp ON true
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
            """
            SELECT setval(pg_get_serial_sequence('posts_post', 'id'),
                (SELECT max(id) FROM posts_post));
            INSERT INTO hashtags_taggedpost (created_at, content_object_id, tag_id)
            SELECT g.created_at, %(base)s + g.seq, t.id
            FROM (
                SELECT seq, created_at, tag1 AS rank FROM bench_gen WHERE tag1 IS NOT NULL
                UNION
                SELECT seq, created_at, tag2 FROM bench_gen WHERE tag2 IS NOT NULL
            ) AS g
            JOIN bench_tags AS t USING (rank)
            ORDER BY g.seq, t.id;
            INSERT INTO posts_post_mentions (post_id, user_id)
            SELECT x.id, p.id
            FROM (SELECT id, author_id, 1 + floor(random() * %(n)s)::int AS rank
                  FROM posts_post WHERE random() < 0.03) AS x
            JOIN bench_people AS p ON p.pop_rank = x.rank AND p.id <> x.author_id;
            UPDATE groups_group AS g SET last_activity_at = c.last
            FROM (SELECT group_id, max(created_at) AS last FROM posts_post
                  WHERE group_id IS NOT NULL GROUP BY group_id) AS c
            WHERE c.group_id = g.id;
            """,
            {"base": base, "n": employees},
        )

    with Step("follows: 20-200 sources for most people"), transaction.atomic():
        # 90% follow 20-199 sources (log-uniform), 10% follow 1-19; 5-35% are hashtags.
        sql(
            """
            CREATE TEMP TABLE bench_follow_plan AS
            SELECT u.id AS follower_id, u.dept, d.size AS dept_size,
                u.k - round(u.k * u.share)::int AS k_people,
                round(u.k * u.share)::int AS k_tags
            FROM (
                SELECT id, dept, CASE WHEN random() < 0.10 THEN 1 + floor(random() * 19)::int
                        ELSE floor(20 * power(10, random()))::int END AS k,
                    0.05 + random() * 0.30 AS share
                FROM bench_people
            ) AS u
            JOIN (SELECT dept, count(*) AS size FROM bench_people GROUP BY dept) AS d
                USING (dept);
            ANALYZE bench_follow_plan;
            """
        )
        # As bench/feed.py: half colleagues from the same department, 30% drawn by
        # popularity (Zipf), 20% anyone; hashtags 70% by popularity.
        sql(
            """
            INSERT INTO people_follow (created_at, follower_id, followee_id)
            SELECT %(now)s::timestamptz - interval '8 days' - random() * interval '700 days',
                follower_id, followee_id
            FROM (
                SELECT follower_id, followee_id, k_people,
                    row_number() OVER (PARTITION BY follower_id ORDER BY random()) AS rn
                FROM (
                    SELECT DISTINCT f.follower_id, f.k_people, CASE
                        WHEN x.r < 0.5 THEN (SELECT m.id FROM bench_people AS m
                            WHERE m.dept = f.dept
                            AND m.dept_idx = 1 + floor(x.r2 * f.dept_size)::int)
                        WHEN x.r < 0.8 THEN (SELECT m.id FROM bench_people AS m
                            WHERE m.pop_rank
                                = least(%(n)s, floor(exp(x.r2 * ln(%(n)s + 1)))::int))
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
            WHERE rn <= k_people;
            INSERT INTO hashtags_hashtagfollow (created_at, hashtag_id, user_id)
            SELECT %(now)s::timestamptz - interval '8 days' - random() * interval '700 days',
                t.id, follower_id
            FROM (
                SELECT follower_id, rank, k_tags,
                    row_number() OVER (PARTITION BY follower_id ORDER BY random()) AS rn
                FROM (
                    SELECT DISTINCT f.follower_id, f.k_tags, CASE
                        WHEN x.r < 0.7
                            THEN least(%(nt)s, floor(exp(x.r2 * ln(%(nt)s + 1)))::int)
                        ELSE 1 + floor(x.r2 * %(nt)s)::int END AS rank
                    FROM bench_follow_plan AS f
                    CROSS JOIN LATERAL (
                        SELECT random() AS r, random() AS r2
                        FROM generate_series(1, ceil(f.k_tags * 1.5)::int)
                    ) AS x
                ) AS picks
            ) AS ranked
            JOIN bench_tags AS t USING (rank)
            WHERE rn <= k_tags;
            """,
            {**common, "n": employees, "nt": cfg.tags},
        )

    with Step("per-source and digest choices, site settings"), transaction.atomic():
        # A quarter of the people tuned their sources: of what they follow, 12% of people
        # "feed only" and 3% muted, 15% of hashtags and 20% of groups "feed only".
        # Digest choices: 10% off, 12% daily, 8% weekly on purpose, 8% only a time zone;
        # the rest never chose (the site default, weekly). 60% of choices carry the time
        # zone of their location.
        sql(
            """
            INSERT INTO digests_sourcechoice (kind, object_id, level, updated_at, user_id)
            SELECT 'person', f.followee_id, CASE WHEN f.r < 0.12 THEN 'feed' ELSE 'muted' END,
                %(now)s::timestamptz, f.follower_id
            FROM (SELECT follower_id, followee_id, random() AS r FROM people_follow) AS f
            JOIN bench_people AS p ON p.id = f.follower_id
            WHERE p.tweaker AND f.r < 0.15;
            INSERT INTO digests_sourcechoice (kind, object_id, level, updated_at, user_id)
            SELECT 'hashtag', f.hashtag_id, 'feed', %(now)s::timestamptz, f.user_id
            FROM (SELECT user_id, hashtag_id, random() AS r FROM hashtags_hashtagfollow) AS f
            JOIN bench_people AS p ON p.id = f.user_id
            WHERE p.tweaker AND f.r < 0.15;
            INSERT INTO digests_sourcechoice (kind, object_id, level, updated_at, user_id)
            SELECT 'group', m.group_id, 'feed', %(now)s::timestamptz, m.user_id
            FROM (SELECT user_id, group_id, random() AS r FROM groups_membership) AS m
            JOIN bench_people AS p ON p.id = m.user_id
            WHERE p.tweaker AND m.r < 0.20;
            INSERT INTO digests_digestchoice (
                frequency, time_zone, unread_email, updated_at, user_id)
            SELECT CASE WHEN u.r < 0.10 THEN 'off' WHEN u.r < 0.22 THEN 'daily'
                    WHEN u.r < 0.30 THEN 'weekly' ELSE '' END,
                CASE WHEN random() < 0.6 OR u.r >= 0.30 THEN coalesce(z.zone, '') ELSE '' END,
                '', %(now)s::timestamptz, u.id
            FROM (SELECT id, location_id, random() AS r FROM people_user) AS u
            LEFT JOIN unnest(%(locs)s::bigint[], %(zones)s::text[]) AS z (loc, zone)
                ON z.loc = u.location_id
            WHERE u.r < 0.38;
            """,
            {
                **common,
                "locs": locs,
                "zones": [ZONES[name] for name in ZONES],
            },
        )
        SiteSettings.objects.filter(pk=1).delete()
        SiteSettings(pk=1).save()  # the defaults: weekly, Monday 8:00, 15 items
        sql("DROP TABLE bench_gen, bench_plan, bench_tags, bench_people, bench_groups")
        sql("DROP TABLE bench_follow_plan")
        sql(
            f"INSERT INTO {META_TABLE} (key, value) VALUES ('data', %s)",
            [json.dumps({**cfg.marker(), "anchor": anchor.isoformat()})],
        )

    with Step("VACUUM ANALYZE"):
        for table in (
            "people_user", "groups_group", "groups_membership", "posts_post",
            "posts_post_mentions", "hashtags_hashtag", "hashtags_taggedpost", "people_follow",
            "hashtags_hashtagfollow", "digests_sourcechoice", "digests_digestchoice",
        ):  # fmt: skip
            sql(f"VACUUM ANALYZE {table}")
    say(f"Generated in {time.perf_counter() - started:.0f} s.")


def describe_data(anchor: datetime) -> None:
    week = anchor - timedelta(days=7)
    (
        people, employees, guests, admins, inactive, groups, kinds, members,
        posts, in_week, in_groups, tagged, mentions, follows, tag_follows, size,
    ) = sql(
        """
        SELECT
            (SELECT count(*) FROM people_user),
            (SELECT count(*) FROM people_user WHERE NOT is_guest AND is_active),
            (SELECT count(*) FROM people_user WHERE is_guest),
            (SELECT count(*) FROM people_user WHERE is_staff AND is_active),
            (SELECT count(*) FROM people_user WHERE NOT is_active),
            (SELECT count(*) FROM groups_group),
            (SELECT string_agg(kind || ' ' || n, ', ' ORDER BY kind)
             FROM (SELECT kind, count(*) AS n FROM groups_group GROUP BY kind) AS k),
            (SELECT count(*) FROM groups_membership),
            (SELECT count(*) FROM posts_post),
            (SELECT count(*) FROM posts_post WHERE created_at > %(week)s),
            (SELECT count(*) FROM posts_post WHERE created_at > %(week)s AND group_id IS NOT NULL),
            (SELECT count(DISTINCT content_object_id) FROM hashtags_taggedpost
             WHERE created_at > %(week)s),
            (SELECT count(*) FROM posts_post_mentions),
            (SELECT count(*) FROM people_follow),
            (SELECT count(*) FROM hashtags_hashtagfollow),
            (SELECT pg_size_pretty(pg_total_relation_size('posts_post')))
        """,
        {"week": week},
    )[0]  # fmt: skip
    say(
        f"Data: {people} people ({employees} active employees, {guests} guests, {admins} "
        f"admins, {inactive} deactivated); {groups} groups ({kinds}), {members} memberships; "
        f"{posts} posts ({size} with indexes), {in_week} in the measured week: {in_groups} in "
        f"groups ({in_groups / max(in_week, 1):.0%}), {tagged} with hashtags "
        f"({tagged / max(in_week, 1):.0%}); {mentions} mentions; {follows} follows of people, "
        f"{tag_follows} of hashtags."
    )
    per_person = sql(
        """
        SELECT percentile_disc(ARRAY[0.1, 0.5, 0.9, 0.99, 1.0]) WITHIN GROUP (ORDER BY n)
        FROM (
            SELECT u.id, (SELECT count(*) FROM people_follow WHERE follower_id = u.id)
                + (SELECT count(*) FROM hashtags_hashtagfollow WHERE user_id = u.id)
                + (SELECT count(*) FROM groups_membership WHERE user_id = u.id) AS n
            FROM people_user AS u WHERE NOT u.is_guest
        ) AS s
        """
    )[0][0]
    groups_each = sql(
        """
        SELECT percentile_disc(ARRAY[0.5, 0.9, 1.0]) WITHIN GROUP (ORDER BY n)
        FROM (SELECT (SELECT count(*) FROM groups_membership WHERE user_id = u.id) AS n
              FROM people_user AS u WHERE NOT u.is_guest) AS s
        """
    )[0][0]
    likes = sql(
        """
        SELECT percentile_disc(ARRAY[0.5, 0.9, 0.99, 1.0]) WITHIN GROUP (ORDER BY like_count)
        FROM posts_post WHERE created_at > %s
        """,
        [week],
    )[0][0]
    say(
        "Sources per employee (people + hashtags + groups), p10/p50/p90/p99/max: "
        + " / ".join(str(v) for v in per_person)
        + "; groups per employee p50/p90/max: "
        + " / ".join(str(v) for v in groups_each)
        + "; likes per post p50/p90/p99/max: "
        + " / ".join(str(v) for v in likes)
    )
    choices = dict(
        sql("SELECT kind || ' ' || level, count(*) FROM digests_sourcechoice GROUP BY 1")
    )
    digest = dict(
        sql(
            """
            SELECT coalesce(nullif(frequency, ''), 'default') || CASE WHEN time_zone <> ''
                THEN ' +zone' ELSE '' END, count(*)
            FROM digests_digestchoice GROUP BY 1
            """
        )
    )
    say(
        "Per-source choices: "
        + ", ".join(f"{k} {v}" for k, v in sorted(choices.items()))
        + ". Digest choices: "
        + ", ".join(f"{k} {v}" for k, v in sorted(digest.items()))
        + f"; {people - sum(digest.values())} people never chose."
    )


# --- measuring --------------------------------------------------------------------------


@dataclass
class Query:
    seconds: float
    statement: str
    params: object


@dataclass
class ChunkProbe:
    """What one send_chunk did, phase by phase. The phases come from wrapping the two
    functions send_chunk calls (build_digests and emails.send_digest), not from copying it:
    claim = claim, load the runs and people, skip, `since`; build = build_digests;
    marked = marking the empty runs; render = rendering and sending one email; ledger = the
    per-digest UPDATE after each email. Only (phase, seconds) is kept per query (tuples of
    atoms, which the garbage collector stops tracking), and the candidates query in full."""

    size: int
    phase: str = "claim"
    queries: list[tuple[str, float]] = field(default_factory=list)
    candidates: Query | None = None
    seconds: float = 0.0
    claim: float = 0.0
    build: float = 0.0
    render: float = 0.0
    ahead: float = 0.0  # the second half's build_digests, on its own thread (overlapping)
    started: float = 0.0
    result: object = None
    gc: Counter = field(default_factory=Counter)  # phase -> seconds in garbage collection
    gc_full: int = 0  # generation-2 collections

    def __call__(self, execute, statement, params, many, context):
        start = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            seconds = time.perf_counter() - start
            self.queries.append((self.phase, seconds))
            if self.phase == "build" and "json_to_recordset" in statement:
                self.candidates = Query(seconds, statement, params)

    def labelled(self, phase: str):
        """An execute wrapper that files every query under `phase` (the second half's build,
        on its own thread and connection, while this probe's phase follows the main one)."""

        def wrapper(execute, statement, params, many, context):
            start = time.perf_counter()
            try:
                return execute(statement, params, many, context)
            finally:
                self.queries.append((phase, time.perf_counter() - start))

        return wrapper

    def count(self, phase: str) -> int:
        return sum(p == phase for p, _s in self.queries)

    def sql_seconds(self, phase: str) -> float:
        return sum(s for p, s in self.queries if p == phase)

    @property
    def rest(self) -> float:
        """Marking empty runs, the mail connection and the per-digest ledger UPDATEs."""
        return self.seconds - self.claim - self.build - self.render


class GcPauses:
    """A gc callback charging each collection's pause to the running chunk and phase."""

    def __init__(self, probe_of):
        self.probe_of = probe_of
        self.start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.start = time.perf_counter()
            return
        probe = self.probe_of()
        if probe is not None:
            probe.gc[probe.phase] += time.perf_counter() - self.start
            probe.gc_full += info["generation"] == 2


def probed(probe_of):
    """build_digests and emails.send_digest wrapped to time them and label their queries."""
    from digests import emails, planning

    build_digests = planning.build_digests
    send_digest = emails.send_digest

    def timed_build(*args, **kwargs):
        probe = probe_of()
        start = time.perf_counter()
        if threading.current_thread() is not threading.main_thread():
            with connection.execute_wrapper(probe.labelled("ahead")):
                try:
                    return build_digests(*args, **kwargs)
                finally:
                    probe.ahead += time.perf_counter() - start
        probe.claim = start - probe.started
        probe.phase = "build"
        try:
            return build_digests(*args, **kwargs)
        finally:
            probe.build += time.perf_counter() - start
            probe.phase = "marked"

    def timed_send(*args, **kwargs):
        probe = probe_of()
        start = time.perf_counter()
        probe.phase = "render"
        try:
            return send_digest(*args, **kwargs)
        finally:
            probe.render += time.perf_counter() - start
            probe.phase = "ledger"

    return (
        mock.patch.object(planning, "build_digests", timed_build),
        mock.patch.object(emails, "send_digest", timed_send),
    )


def reset_runs() -> None:
    sql("TRUNCATE digests_digestrun")


def warm_up(anchor: datetime) -> None:
    """A long-lived worker has its templates compiled and URL patterns loaded: send a few
    digests through the same code first (not measured), then empty the ledger again."""
    from django.core import mail

    from digests import planning
    from people.models import User

    some = list(
        User.objects.filter(is_active=True, is_guest=False)
        .order_by("-id")
        .values_list("pk", flat=True)[:20]
    )
    planning.send_now(user_ids=some, now=anchor)
    mail.outbox = []
    reset_runs()


@dataclass
class Round:
    anchor: datetime
    chunk_size: int
    plan_seconds: float
    plan_queries: int
    planned: int
    chunks: list[ChunkProbe]
    email_bytes: list[int]


def run_round(anchor: datetime, *, freeze: bool) -> Round:
    from django.conf import settings
    from django.core import mail

    from digests import planning

    reset_runs()
    warm_up(anchor)
    mail.outbox = []
    if freeze:
        gc.collect()
        gc.freeze()

    pending: list[list[int]] = []
    plan_probe = ChunkProbe(size=0, phase="plan")
    with connection.execute_wrapper(plan_probe):
        start = time.perf_counter()
        result = planning.plan(now=anchor, enqueue=pending.append)
        plan_seconds = time.perf_counter() - start
    if result.locked_out or result.enqueue_failed:
        sys.exit(f"bench/digests.py: the planner did not plan ({result})")
    say(
        f"Planned {result.planned} digests in {plan_seconds:.2f} s ({len(plan_probe.queries)} "
        f"queries), {len(pending)} chunks. Sending ..."
    )

    probes: list[ChunkProbe] = []
    email_bytes: list[int] = []
    build_patch, send_patch = probed(lambda: probes[-1])
    gc_pauses = GcPauses(lambda: probes[-1] if probes else None)
    gc.callbacks.append(gc_pauses)
    with build_patch, send_patch:
        for n, chunk in enumerate(pending, 1):
            probe = ChunkProbe(size=len(chunk))
            probes.append(probe)
            with connection.execute_wrapper(probe):
                probe.started = time.perf_counter()
                probe.result = planning.send_chunk(chunk, now=anchor)
                probe.seconds = time.perf_counter() - probe.started
            # Outside the timing: what was sent, then let the messages go.
            for message in mail.outbox:
                html_part = message.alternatives[0][0] if message.alternatives else ""
                email_bytes.append(len(message.body.encode()) + len(html_part.encode()))
            mail.outbox = []
            if n % 50 == 0:
                say(f"  {n} chunks ...")
    gc.callbacks.remove(gc_pauses)
    return Round(
        anchor=anchor,
        chunk_size=settings.DIGEST_CHUNK_SIZE,
        plan_seconds=plan_seconds,
        plan_queries=len(plan_probe.queries),
        planned=result.planned,
        chunks=probes,
        email_bytes=email_bytes,
    )


def explain(query: Query) -> list[str]:
    from digests.building import CANDIDATES_PLANNER

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(CANDIDATES_PLANNER)  # as build_digests plans it
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query.statement, query.params)
        return [LONG_ARRAY.sub(shorten_array, row[0]) for row in cur.fetchall()]


def spread(values: list[float], scale: float = 1000.0) -> str:
    """p50 / p95 / max (nearest rank), in ms by default."""
    if not values:
        return "-"
    return " ".join(
        f"{v * scale:7.1f}" for v in (statistics.median(values), p95(values), max(values))
    )


def counts(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def report(cfg: Config, rnd: Round) -> None:
    from django.conf import settings

    from digests.models import SiteSettings

    probes = [p for p in rnd.chunks if p.result.claimed]
    sent = sum(p.result.sent for p in probes)
    empty = sum(p.result.empty for p in probes)
    skipped = sum(p.result.skipped for p in probes)
    claimed = sum(p.result.claimed for p in probes)
    total = sum(p.seconds for p in probes)
    built = [p for p in probes if p.candidates is not None]
    site = SiteSettings.load()
    eligible = sql("SELECT count(*) FROM people_user WHERE is_active AND NOT is_guest")[0][0]
    off = sql(
        """
        SELECT count(*) FROM digests_digestchoice AS c JOIN people_user AS u ON u.id = c.user_id
        WHERE c.frequency = 'off' AND u.is_active AND NOT u.is_guest
        """
    )[0][0]
    by_frequency = dict(sql("SELECT frequency, count(*) FROM digests_digestrun GROUP BY 1"))

    say("")
    say(
        f"Digests, one worker process, chunk size {settings.DIGEST_CHUNK_SIZE}, locmem email "
        f"backend, DEBUG={int(settings.DEBUG)}, gc.freeze() {'on' if cfg.gc_freeze else 'off'}, "
        f"second half built on its own thread {'on' if cfg.overlap else 'off'}. "
        f"Measured 'now': {rnd.anchor:%a %Y-%m-%d %H:%M} "
        f"UTC. Site: {site.digest_frequency} by default, weekday {site.send_weekday} at "
        f"{site.send_hour}:00, at most {site.max_items} items, mentions in digest "
        f"{'on' if site.mentions_in_digest else 'off'}."
    )
    say(
        f"Users {cfg.users}: {eligible} eligible (active employees), {off} of them chose no "
        f"digest; due now {rnd.planned} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(by_frequency.items()))
        + f"); {len(rnd.chunks)} chunks of {settings.DIGEST_CHUNK_SIZE}."
    )
    say(f"Planner: plan() {rnd.plan_seconds * 1000:.0f} ms, {rnd.plan_queries} queries.")
    say(
        f"Runs claimed {claimed}: sent {sent}, empty {empty} (nothing new), skipped {skipped}. "
        f"Time in send_chunk {total:.1f} s."
    )
    say(
        f"==> {sent / total:.1f} digests built and sent per second per worker process "
        f"({claimed / total:.1f} runs handled per second, empty ones included; "
        f"{total / max(sent, 1) * 1000:.1f} ms per digest sent)."
    )
    say("")
    say(f"Per chunk, ms {'p50':>19} {'p95':>7} {'max':>7}")
    rows = [
        ("whole chunk (send_chunk)", [p.seconds for p in probes]),
        ("  claim, load runs, since", [p.claim for p in built]),
        ("  build_digests", [p.build for p in built]),
        ("  2nd half built meanwhile", [p.ahead for p in built]),
        ("    its SQL", [p.sql_seconds("ahead") for p in built]),
        ("    candidates SQL", [p.candidates.seconds for p in built]),
        ("    other build queries", [p.sql_seconds("build") - p.candidates.seconds for p in built]),
        ("    Python in build", [p.build - p.sql_seconds("build") for p in built]),
        ("      of which GC pauses", [p.gc["build"] for p in built]),
        ("  render + send emails", [p.render for p in built]),
        ("    of which GC pauses", [p.gc["render"] for p in built]),
        ("  ledger UPDATEs and rest", [p.rest for p in built]),
        ("    in ledger UPDATEs", [p.sql_seconds("ledger") for p in built]),
        ("  GC pauses, whole chunk", [sum(p.gc.values()) for p in probes]),
    ]
    for label, values in rows:
        say(f"  {label:26} {spread(values)}")
    say(
        f"  full (generation 2) collections: {sum(p.gc_full for p in probes)} in "
        f"{len(probes)} chunks; GC pauses in all {sum(sum(p.gc.values()) for p in probes):.1f} s"
    )
    render_each = [p.render / p.result.sent for p in built if p.result.sent]
    build_each = [(p.build + p.ahead) / p.size for p in built]
    say(
        f"  per person in build_digests p50 {statistics.median(build_each) * 1000:.2f} ms; "
        f"per email rendered and sent p50 {statistics.median(render_each) * 1000:.2f} ms"
    )
    total_build = sum(p.build for p in built)
    total_render = sum(p.render for p in built)
    total_claim = sum(p.claim for p in built)
    say(
        f"  share of the round: claim {total_claim / total:.0%}, build {total_build / total:.0%}"
        f", render+send {total_render / total:.0%}, ledger and rest "
        f"{(total - total_build - total_render - total_claim) / total:.0%}"
    )

    all_queries = sum(len(p.queries) for p in probes)
    say("")
    say(
        f"Queries: {all_queries} in all for {sent} digests sent = "
        f"{all_queries / max(sent, 1):.2f} queries per digest sent "
        f"({all_queries / max(claimed, 1):.2f} per run handled)."
    )
    fixed = [
        p.count("claim") + p.count("build") + p.count("ahead") + p.count("marked") for p in built
    ]
    say(
        f"  per chunk, whatever its size: claim+load {counts([p.count('claim') for p in built])}"
        f", build {counts([p.count('build') + p.count('ahead') for p in built])}, mark empty "
        f"{counts([p.count('marked') for p in built])} -> {counts(fixed)} constant queries per "
        f"chunk (p50 {statistics.median(fixed) / rnd.chunk_size:.2f} per person)"
    )
    ledger = [(p.count("ledger"), p.result.sent) for p in built]
    render_queries = sum(p.count("render") for p in built)
    say(
        f"  per digest sent: {sum(n for n, _ in ledger) / max(sent, 1):.2f} ledger UPDATE "
        f"(one per email by design), {render_queries / max(sent, 1):.2f} queries while rendering"
    )
    say(
        f"  queries per chunk: {counts([len(p.queries) for p in probes])}, "
        f"p50 {statistics.median([len(p.queries) for p in probes]):.0f}"
    )
    sizes = sql(
        """
        SELECT percentile_disc(ARRAY[0.5, 0.95, 1.0]) WITHIN GROUP (ORDER BY n),
            percentile_disc(ARRAY[0.5, 0.95, 1.0]) WITHIN GROUP (ORDER BY more_count)
        FROM (SELECT jsonb_array_length(post_ids) AS n, more_count FROM digests_digestrun
              WHERE status = 'sent') AS s
        """
    )[0]
    say(
        "Digests sent: posts each p50/p95/max "
        + " / ".join(str(v) for v in sizes[0] or [])
        + "; more_count p50/p95/max "
        + " / ".join(str(v) for v in sizes[1] or [])
        + "; email size (text + HTML) KB p50/p95/max "
        + " / ".join(spread([float(b) for b in rnd.email_bytes], scale=1 / 1024).split())
    )

    by_time = sorted(built, key=lambda p: p.candidates.seconds)
    median = by_time[len(by_time) // 2]
    slowest = by_time[-1]
    say("")
    say(
        f"EXPLAIN (ANALYZE, BUFFERS) of the candidates SQL of the median chunk ({median.size} "
        f"people, {median.candidates.seconds * 1000:.1f} ms when it ran), as build_digests "
        "ran it:"
    )
    lines = explain(median.candidates)
    shown = lines[:EXPLAIN_LINES]
    for line in shown:
        say("    " + line)
    if len(lines) > len(shown):
        say(f"    ... {len(lines) - len(shown)} more lines")
        for line in lines[-2:]:  # planning and execution time
            say("    " + line)
    again = explain(slowest.candidates)
    say(
        f"Slowest chunk's candidates SQL: {slowest.candidates.seconds * 1000:.1f} ms when it "
        "ran; again under EXPLAIN ANALYZE: "
        + "; ".join(line for line in again if line.startswith(("Planning Time", "Execution")))
    )


def measure_inbox(rows_per_person: int = 300, people: int = 5, repeats: int = 30) -> None:
    """The inbox's two reads at this size: the unread badge (on every page) and a page of
    rows, for people with a full inbox about random posts (some of them in groups they cannot
    read, which the policy must drop at display time). Rows are removed afterwards."""
    from django.contrib.contenttypes.models import ContentType
    from django.test.utils import CaptureQueriesContext

    from digests import selectors
    from digests.models import InboxItem
    from people.models import User
    from posts.models import Post

    rng = random.Random(7)
    readers = list(
        User.objects.filter(is_active=True, is_guest=False, is_staff=False).order_by("pk")[
            : people * 7 : 7
        ]
    )
    post_ids = list(Post.objects.values_list("pk", "author_id").order_by("-pk")[:20_000])
    user_type = ContentType.objects.get_for_model(User)
    rows = []
    for reader in readers:
        for pk, author in rng.sample(post_ids, rows_per_person):
            rows.append(
                InboxItem(
                    recipient=reader,
                    actor_user_id=author,
                    actor_content_type=user_type,
                    actor_object_id=str(author),
                    verb="mentioned you",
                    kind=InboxItem.Kind.MENTION,
                    post_id=pk,
                )
            )
    InboxItem.objects.bulk_create(rows, batch_size=2000)
    badge, page, shown, queries = [], [], [], set()
    try:
        for _ in range(repeats):
            for reader in readers:
                started = time.perf_counter()
                shown.append(selectors.unread_count(reader))
                badge.append(time.perf_counter() - started)
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    selectors.inbox_page(reader)
                    page.append(time.perf_counter() - started)
                queries.add(len(ctx.captured_queries))
    finally:
        InboxItem.objects.filter(recipient__in=readers).delete()
    say(
        f"Inbox: {len(readers)} people with {rows_per_person} unread rows each (about random "
        f"posts; the policy keeps {min(shown)}-{max(shown)} of the first 100 for the badge)."
    )
    say(f"  unread badge, ms p50/p95/max:     {spread(badge)}   (1 query)")
    say(f"  a page of 30 rows, ms p50/p95/max: {spread(page)}   ({counts(sorted(queries))} query)")


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    os.environ["DATABASE_URL"] = cfg.database_url
    ensure_database(cfg.database_url)
    try:
        django.setup()
    except ImproperlyConfigured as exc:
        sys.exit(f"bench/digests.py: {exc}")
    from django.conf import settings
    from django.core.management import call_command

    if cfg.chunk_size:
        settings.DIGEST_CHUNK_SIZE = cfg.chunk_size
    if not cfg.overlap:
        from digests import planning

        planning.OVERLAP_FROM = sys.maxsize
    try:
        call_command("migrate", verbosity=0, interactive=False)
    except OperationalError as exc:
        sys.exit(f"bench/digests.py: cannot use the database ({exc}).")
    say(f"Database {connection.settings_dict['NAME']} on {connection.settings_dict['HOST']}.")
    meta = read_meta()
    stored = {k: v for k, v in (meta or {}).items() if k != "anchor"}
    if meta and stored == cfg.marker() and not cfg.regenerate:
        anchor = datetime.fromisoformat(meta["anchor"])
        say(f"Reusing the data generated earlier ({meta}).")
    else:
        if meta:
            say(f"Regenerating (found {meta}).")
        wipe()
        anchor = last_monday_1600_utc()
        generate(cfg, anchor)
    describe_data(anchor)
    rnd = run_round(anchor, freeze=cfg.gc_freeze)
    report(cfg, rnd)
    measure_inbox()


if __name__ == "__main__":
    main()
