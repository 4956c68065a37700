"""Search benchmark: posts and comments full-text search at 10k, 100k and 1M posts. Run by
hand, never by `make test`.

    python bench/search.py                                  # 10k, 100k and 1M posts
    python bench/search.py --sizes 10000,100000 --repeat 10
    python bench/search.py --sizes 1000000 --reuse          # keep the data of the last run
    make bench-search ARGS="--sizes 10000"

For each size it generates (bulk SQL) people, groups, posts with Zipf-distributed words and
comments, then prints, for typical queries as an employee and as a guest: the selector time
(`match_posts` + `search_page`) and the whole page (`GET /search/`) p50 / p95 / max in ms,
the queries per call, which indexes each search query read, and EXPLAIN (ANALYZE, BUFFERS) of
the two search queries for a few of them. See bench/README.md.

Settings are a production process's (DEBUG off: cached templates, hashed static files,
sessions in Redis when REDIS_URL is set), served over plain http to the test client; DEBUG=1
in the environment measures the development settings instead.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# Before bench/feed.py is imported (it defaults to DEBUG=1): what a web process in production
# runs, minus https (the test client speaks plain http to "localhost").
for name, value in {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "CACHE_USE_REDIS": "1",
    "STATIC_ROOT": str(ROOT / "var" / "bench-search-static"),
}.items():
    os.environ.setdefault(name, value)

# Shared with the feed benchmark: names, sentences, timing helpers.
from feed import (  # noqa: E402
    DEPARTMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    LOCATIONS,
    SENTENCES,
    TITLES,
    Step,
    ms,
    ms_with_database,
    p95,
    say,
    sql,
)

DEFAULT_DATABASE = "esn_bench_search"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
PREFIX = "bsearch_"
EMPLOYEE = "bsearch_employee"
GUEST = "bsearch_guest"
VOCABULARY = 20_000
SYLLABLES = [
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fe", "gu", "ho", "ji", "pe",
    "zo", "wa", "xi", "qu", "yo", "an", "el", "or", "um",
]  # fmt: skip


@dataclass(frozen=True)
class Config:
    sizes: list[int]
    people: int
    groups: int
    repeat: int
    seed: int
    database_url: str
    explain: bool
    reuse: bool

    def marker(self, size: int) -> str:
        return f"bench search data v1: posts={size} people={self.people} groups={self.groups} seed={self.seed}"


def parse_args(argv: list[str] | None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="posts, comma-separated (10000,...)"
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-explain", action="store_true", help="skip the full plans")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data already in the database if it was generated for the same size, "
        "people, groups and seed (one size at a time)",
    )
    parser.add_argument(
        "--database-url",
        help=f"database of its own, created if missing and emptied (default: {DEFAULT_DATABASE} "
        f"on the DATABASE_URL server, or on {DEFAULT_SERVER})",
    )
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes numbers, e.g. 10000,100000")
    if not sizes or min(sizes) < 1000:
        parser.error("use sizes of at least 1000 posts")
    server = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_SERVER
    default_url = urlunsplit(urlsplit(server)._replace(path=f"/{DEFAULT_DATABASE}"))
    return Config(
        sizes=sizes,
        people=max(100, args.people),
        groups=max(10, args.groups),
        repeat=max(1, args.repeat),
        seed=args.seed,
        database_url=args.database_url or default_url,
        explain=not args.no_explain,
        reuse=args.reuse,
    )


def ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg2
    from psycopg2 import sql as pgsql

    cfg = dj_database_url.parse(url)
    conn = psycopg2.connect(
        dbname="postgres",
        host=cfg.get("HOST") or None,
        port=cfg.get("PORT") or None,
        user=cfg.get("USER") or None,
        password=cfg.get("PASSWORD") or None,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
            if cur.fetchone() is None:
                say(f"Creating database {cfg['NAME']} ...")
                cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(cfg["NAME"])))
    finally:
        conn.close()


def vocabulary(seed: int) -> list[str]:
    """VOCABULARY made-up words, most frequent first (rank 1 = index 0)."""
    rng = random.Random(seed)
    words: set[str] = set()
    ordered = []
    while len(ordered) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in words:
            words.add(word)
            ordered.append(word)
    return ordered


# --- data -------------------------------------------------------------------------------


def existing_marker() -> str | None:
    """What the last complete generation wrote into the employee's bio (nothing searches
    bios), or None."""
    rows = sql("SELECT bio FROM people_user WHERE username = %s", [EMPLOYEE])
    return rows[0][0] if rows and rows[0][0] else None


def wipe() -> None:
    others = sql("SELECT count(*) FROM people_user WHERE NOT starts_with(username, %s)", [PREFIX])
    if others[0][0]:
        sys.exit(
            f"bench/search.py: the database holds {others[0][0]} people the benchmark did not "
            "generate. Give it a database of its own (--database-url)."
        )
    sql(
        """
        TRUNCATE people_user, people_department, people_location, groups_group,
            hashtags_hashtag, posts_post, digests_sitesettings RESTART IDENTITY CASCADE
        """
    )


def generate(cfg: Config, posts: int, vocab: list[str]) -> None:
    """`posts` posts over a year in time order (ids and heap follow created_at, as in a live
    database), a fifth of them in groups, 5% questions; a comment for every third post."""
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    say(f"Generating {cfg.people} people, {cfg.groups} groups, {posts} posts ...")
    started = time.perf_counter()
    sql("SELECT setseed(%s)", [(cfg.seed % 1000) / 1000])
    with Step("people and groups"), transaction.atomic():
        for table, names in (("people_department", DEPARTMENTS), ("people_location", LOCATIONS)):
            sql(f"INSERT INTO {table} (name) SELECT unnest(%s::text[])", [names])
        sql(
            """
            INSERT INTO people_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, title, bio, avatar, updated_at,
                department_id, location_id, is_guest, last_seen_at)
            SELECT '!', false, %(prefix)s || lpad(g::text, 5, '0'),
                (%(first)s::text[])[1 + mod(g, cardinality(%(first)s::text[]))],
                (%(last)s::text[])[1 + mod(g / 7, cardinality(%(last)s::text[]))],
                'p' || g || '@example.com', false, true, %(now)s,
                (%(titles)s::text[])[1 + mod(g, cardinality(%(titles)s::text[]))], '', '',
                %(now)s, 1 + mod(g, %(nd)s), 1 + mod(g, %(nl)s), false, %(now)s
            FROM generate_series(1, %(n)s) AS g;
            INSERT INTO groups_group (name, slug, description, guidelines, cover, kind,
                allow_guests, created_at, member_count, last_activity_at)
            SELECT 'Group ' || g, 'group-' || g, 'About group ' || g, '', '',
                CASE WHEN g %% 5 = 0 THEN 'private' WHEN g %% 10 = 3 THEN 'secret'
                    ELSE 'open' END, g %% 5 = 0, %(now)s, 0, %(now)s
            FROM generate_series(1, %(groups)s) AS g;
            """,
            {
                "prefix": PREFIX,
                "first": FIRST_NAMES,
                "last": LAST_NAMES,
                "titles": TITLES,
                "now": now,
                "n": cfg.people - 2,
                "nd": len(DEPARTMENTS),
                "nl": len(LOCATIONS),
                "groups": cfg.groups,
            },
        )
        # The measured people: an employee in two open groups, a private and a secret one;
        # a guest in one private group.
        sql(
            """
            INSERT INTO people_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, title, bio, avatar, updated_at,
                is_guest, last_seen_at, sponsor_id)
            VALUES ('!', false, %(emp)s, 'Erin', 'Employee', 'e@example.com', false, true,
                    %(now)s, 'Analyst', '', '', %(now)s, false, %(now)s, NULL),
                   ('!', false, %(guest)s, 'Gus', 'Guest', 'g@example.com', false, true,
                    %(now)s, 'Partner', '', '', %(now)s, true, %(now)s, 1);
            INSERT INTO groups_membership (joined_at, muted, group_id, user_id, role)
            SELECT %(now)s, false, g.id, u.id, 'member'
            FROM people_user AS u JOIN groups_group AS g ON (
                u.username = %(emp)s AND g.slug IN ('group-1', 'group-2', 'group-5', 'group-3')
                OR u.username = %(guest)s AND g.slug = 'group-10');
            """,
            {"emp": EMPLOYEE, "guest": GUEST, "now": now},
        )
    with Step("dropping the search indexes for the bulk load"):
        sql("DROP INDEX IF EXISTS posts_search; DROP INDEX IF EXISTS comments_search")
    with Step(f"{posts} posts over a year, Zipf words"), transaction.atomic():
        zipf = "least(%(nv)s, floor(exp(random() * ln(%(nv)s + 1)))::int)"
        sql(
            f"""
            INSERT INTO posts_post (body, body_html, like_count, comment_count, created_at,
                updated_at, author_id, comments_locked, removal_reason, group_id, is_question)
            SELECT b.body, '<p>' || b.body || '</p>', 0, 0, t.created_at, t.created_at,
                1 + floor(random() * %(people)s)::int, false, '',
                CASE WHEN random() < 0.2 THEN 1 + floor(random() * %(groups)s)::int END,
                random() < 0.05
            FROM (
                SELECT %(now)s::timestamptz - random() * interval '365 days' AS created_at
                FROM generate_series(1, %(n)s) ORDER BY 1
            ) AS t
            CROSS JOIN LATERAL (
                SELECT (%(sentences)s::text[])[1 + floor(random() * %(ns)s)::int] || ' '
                    || string_agg((%(vocab)s::text[])[{zipf}], ' ') AS body
                FROM generate_series(1, 6 + floor(random() * 20)::int + (t.created_at IS NULL)::int)
            ) AS b
            """,
            {
                "now": now,
                "n": posts,
                "people": cfg.people - 2,
                "groups": cfg.groups,
                "sentences": SENTENCES,
                "ns": len(SENTENCES),
                "vocab": vocab,
                "nv": len(vocab),
            },
        )
    with Step(f"{posts // 3} comments"), transaction.atomic():
        zipf = "least(%(nv)s, floor(exp(random() * ln(%(nv)s + 1)))::int)"
        sql(
            f"""
            INSERT INTO posts_comment (body, body_html, created_at, updated_at, author_id,
                post_id, removal_reason)
            SELECT b.body, '<p>' || b.body || '</p>', c.created_at, c.created_at,
                1 + floor(random() * %(people)s)::int, c.post_id, ''
            FROM (
                SELECT p.id AS post_id,
                    least(%(now)s::timestamptz, p.created_at + random() * interval '3 days')
                        AS created_at
                FROM posts_post AS p TABLESAMPLE BERNOULLI (33.3) ORDER BY 2
            ) AS c
            CROSS JOIN LATERAL (
                SELECT string_agg((%(vocab)s::text[])[{zipf}], ' ') AS body
                FROM generate_series(1, 3 + floor(random() * 12)::int + (c.post_id IS NULL)::int)
            ) AS b;
            UPDATE posts_post AS p SET comment_count = n
            FROM (SELECT post_id, count(*) AS n FROM posts_comment GROUP BY post_id) AS c
            WHERE c.post_id = p.id;
            """,
            {"now": now, "people": cfg.people - 2, "vocab": vocab, "nv": len(vocab)},
        )
    with Step("GIN indexes posts_search and comments_search"):
        sql("CREATE INDEX posts_search ON posts_post USING gin (search_vector)")
        sql("CREATE INDEX comments_search ON posts_comment USING gin (search_vector)")
    with Step("VACUUM ANALYZE"):
        for table in ("people_user", "groups_group", "groups_membership", "posts_post",
                      "posts_comment"):  # fmt: skip
            sql(f"VACUUM ANALYZE {table}")
    sql("UPDATE people_user SET bio = %s WHERE username = %s", [cfg.marker(posts), EMPLOYEE])
    size = sql("SELECT pg_size_pretty(pg_total_relation_size('posts_post'))")[0][0]
    say(f"Generated in {time.perf_counter() - started:.0f} s (posts_post with indexes: {size}).")


# --- measuring --------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    text: str
    filters: dict  # GET parameters besides q


def word_near(vocab: list[str], rank: int) -> str:
    """The first four-syllable word from `rank` on: no other word starts with it, so the
    prefix match of the last query word finds that word only."""
    return next(w for w in vocab[rank - 1 :] if len(w) == 8)


def cases(vocab: list[str]) -> list[Case]:
    # Word ranks: rank r is in about 1 / (r ln 20000) of the words; a post has ~16 of them,
    # so rank 20 is in ~7% of posts, rank 15000 in ~0.01%.
    common, rare = word_near(vocab, 20), word_near(vocab, 15_000)
    return [
        Case("rare word", rare, {}),
        Case("common word", common, {}),
        Case("common, newest", common, {"sort": "newest"}),
        Case("two words", f"{word_near(vocab, 50)} {word_near(vocab, 120)}", {}),
        Case("prefix (3 letters)", vocab[29][:3], {}),
        Case("very common word", word_near(vocab, 2), {}),
        Case("common + group", common, {"group": "group-1"}),
        Case("common + last 30 days", common, {"since": "@30"}),
        Case("rare + questions", rare, {"questions": "on"}),
        Case("no match", "zzzqqqxxx", {}),
    ]


def resolve_filters(params: dict) -> dict:
    from django.utils import timezone

    out = dict(params)
    if out.get("since", "").startswith("@"):
        out["since"] = (timezone.now() - timedelta(days=int(out["since"][1:]))).date().isoformat()
    return out


def selector_call(user, case: Case):
    """What the view does for the Posts tab, without rendering."""
    from django.test import RequestFactory

    from esn.forms import SearchForm
    from esn.textsearch import query_words
    from posts import search

    form = SearchForm(RequestFactory().get("/", resolve_filters(case.filters)).GET, user=user)
    if not form.is_valid():
        raise RuntimeError(f"bench filters refused: {form.errors}")
    data = form.cleaned_data
    filters = search.PostFilters(
        group=data.get("group"), since=data.get("since"), questions_only=bool(data.get("questions"))
    )
    matches = search.match_posts(user, query_words(case.text), filters)
    page = search.search_page(user, matches, sort=data.get("sort") or "best")
    return matches, page


INDEX_RE = re.compile(
    r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)|(Seq Scan on \w+)"
)


def search_statements(queries: list[dict]) -> list[tuple[str, str]]:
    """The two search queries of a call, each with the SET LOCAL planner settings it ran
    under (posts/search.py changes some for very common words), so that EXPLAIN shows the
    plan the search used."""
    found, settings = [], ""
    for query in queries:
        sql_text = query["sql"]
        if sql_text.startswith("SET LOCAL"):
            settings = sql_text
        elif sql_text in ("COMMIT", "ROLLBACK") or sql_text.startswith("RESET"):
            settings = ""
        elif "ts_rank" in sql_text:
            found.append((settings, sql_text))
    return found


def explain(statement: tuple[str, str], analyze: bool = True) -> str:
    from django.db import connection, transaction

    settings, sql_text = statement
    with transaction.atomic(), connection.cursor() as cur:
        if settings:
            cur.execute(settings)
        options = "ANALYZE, BUFFERS" if analyze else "COSTS"
        cur.execute(f"EXPLAIN ({options}) {sql_text}")
        plan = "\n".join(row[0] for row in cur.fetchall())
    return f"({settings})\n{plan}" if settings and analyze else plan


def measure(cfg: Config, size: int, vocab: list[str]) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from people.models import User

    gc.collect()
    gc.freeze()
    viewers = {
        "employee": User.objects.get(username=EMPLOYEE),
        "guest": User.objects.get(username=GUEST),
    }
    lines = []
    plans = []
    header = (
        f"{'posts':>8} {'viewer':9} {'query':22} {'found':>6} "
        f"{'selector p50/p95/max':>22} {'page p50/p95/max':>22} {'sql':>5} {'cpu':>5} "
        f"{'q sel/page':>10}  indexes read"
    )
    say(header)
    lines.append(header)
    for viewer, user in viewers.items():
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        for case in cases(vocab):
            if viewer == "guest" and "group" in case.filters:
                continue  # the guest cannot read group-1
            params = {"q": case.text, **resolve_filters(case.filters)}
            url = "/search/?" + urlencode(params)
            with CaptureQueriesContext(connection) as ctx:
                matches, _page = selector_call(user, case)
            selector_queries = len(ctx.captured_queries)
            search_sql = search_statements(ctx.captured_queries)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            page_queries = len(ctx.captured_queries)
            selector_ms, page_ms, page_sql_ms, page_cpu_ms = [], [], [], []
            for _ in range(cfg.repeat):
                selector_ms.append(ms(lambda user=user, case=case: selector_call(user, case)))
                total, in_sql, cpu = ms_with_database(
                    lambda url=url, client=client: client.get(url)
                )
                page_ms.append(total)
                page_sql_ms.append(in_sql)
                page_cpu_ms.append(cpu)
            # The posts and comments indexes (and scans) only: the small tables of the
            # policy (groups, memberships, blocks) are read the same way for every query.
            indexes = sorted(
                {
                    index or seq
                    for s in search_sql
                    for index, seq in INDEX_RE.findall(explain(s, analyze=False))
                    if re.search(r"posts_|comments_", index or seq)
                    and not (index or "").endswith("_pkey")
                }
            )
            found = f"{matches.total}{'+' if matches.more else ''}"
            line = (
                f"{size:>8} {viewer:9} {case.name:22} {found:>6} "
                f"{fmt(selector_ms):>22} {fmt(page_ms):>22} {statistics.median(page_sql_ms):5.1f} "
                f"{statistics.median(page_cpu_ms):5.1f} "
                f"{selector_queries:>4} /{page_queries:>3}"
                f"  {', '.join(indexes)}"
            )
            say(line)
            lines.append(line)
            if (
                cfg.explain
                and viewer == "employee"
                and case.name
                in (
                    "rare word",
                    "common word",
                    "common + group",
                )
            ):
                for label, statement in zip(("posts", "comments"), search_sql, strict=True):
                    plans.append(
                        f"--- {size} posts, {viewer}, {case.name}: the {label} query\n"
                        + explain(statement)
                    )
        client.logout()
    gc.unfreeze()
    for plan in plans:
        say(plan)
    return lines


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):6.1f} {p95(values):6.1f} {max(values):6.1f}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def collect_static() -> None:
    """Without DEBUG, pages link hashed static files: they need the manifest collectstatic
    writes (as the Dockerfile does at build time). Every run (~8 s): a stale manifest would
    refuse a file added since."""
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG:
        say(f"Collecting static files into {settings.STATIC_ROOT} ...")
        call_command("collectstatic", verbosity=0, interactive=False)


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    os.environ["DATABASE_URL"] = cfg.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
    ensure_database(cfg.database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    started = time.perf_counter()
    say(
        f"Start: {load()}; DEBUG={int(settings.DEBUG)}, "
        f"sessions {settings.SESSION_ENGINE.rsplit('.', 1)[-1]}, "
        f"PostgreSQL {sql('SHOW server_version')[0][0]}"
    )
    call_command("migrate", verbosity=0, interactive=False)
    collect_static()
    vocab = vocabulary(cfg.seed)
    summary = []
    for size in cfg.sizes:
        if cfg.reuse and existing_marker() == cfg.marker(size):
            say(f"Reusing the data already generated ({cfg.marker(size)}).")
        else:
            wipe()
            generate(cfg, size, vocab)
        summary += measure(cfg, size, vocab)
    say("\nAll sizes (ms; selector = match_posts + search_page; page = GET /search/):")
    for line in summary:
        say(line)
    say(f"End: {load()}; {time.perf_counter() - started:.0f} s in all.")


if __name__ == "__main__":
    main()
