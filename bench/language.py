"""Post language: what detecting it costs, and what the home feed's language filter costs.
Run by hand, never by `make test`.

    python bench/language.py                 # the detector: build, one detection, a sample
    DATABASE_URL=postgres://.../esn_bench python bench/language.py --feed
                                             # + the feed filter, on bench/feed.py's data

The first part needs no database: it times importing lingua and building the detector (once
per process, posts/language.py), then one detection over a sample of short en/nl/de posts,
and prints what each sample came out as. `--feed` needs the data of an earlier
`bench/feed.py` run in the same database: it gives the bench posts languages (75% English,
10% Dutch, 7% German, 8% too short to tell, by id), then times the home feed's candidate
query for the sparse, typical, wide and heavy followers with the filter off, reading English
and Dutch, and reading only German (the worst case: few posts pass), and prints EXPLAIN
ANALYZE of the worst ones. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
os.environ.setdefault("DEBUG", "1")
# The detector part needs no database; settings want a URL all the same.
os.environ.setdefault("DATABASE_URL", "postgres://bench@127.0.0.1/unused")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

# (expected, text): short posts as people write them; "" = too short or mixed to tell.
SAMPLE = [
    ("en", "Great meeting today, thanks everyone for joining the retro."),
    ("en", "Who has the slides from yesterday's all-hands? I can't find them on the drive."),
    ("en", "Can someone help me with the new planning?"),
    ("en", "Welcome to the team!"),
    ("en", "Anyone up for a run after work?"),
    ("en", "The release is out, please test it #eng_release"),
    ("nl", "Goedemorgen allemaal, de koffie staat klaar in de keuken op de tweede verdieping."),
    ("nl", "Wie gaat er vrijdag mee lunchen bij het nieuwe café om de hoek?"),
    ("nl", "Kan iemand mij helpen met de nieuwe planning?"),
    ("nl", "Welkom in het team!"),
    ("nl", "Ik trakteer vandaag op taart"),
    ("nl", "@ana.jansen bedankt voor de hulp met de offerte! https://example.com/offerte"),
    ("de", "Wir treffen uns morgen um zehn im Büro."),
    ("de", "Hat jemand Lust, am Freitag nach der Arbeit Tischtennis zu spielen?"),
    ("de", "Kann mir jemand mit der neuen Planung helfen?"),
    ("de", "Willkommen im Team!"),
    ("de", "Ich gebe heute einen Kuchen aus"),
    ("de", "Das Release ist raus, bitte testen #eng_release"),
    ("", "ok!"),
    ("", "#sales_onboarding 👍"),
    ("", "Top, dank je!"),
    ("", "Super, danke euch!"),
    ("", "Nice work team"),
    ("", "Release ist raus"),
    ("", "lol"),
]

# The mix the bench posts get with --feed, in percent of posts, by id.
MIX = [("en", 75), ("nl", 10), ("de", 7), ("", 8)]


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_detector(repeat: int) -> None:
    from posts.markup import render

    before = rss_mb()
    start = time.perf_counter()
    import lingua  # noqa: F401

    imported = ms_since(start)
    from posts import language

    start = time.perf_counter()
    language.detector()
    built = ms_since(start)
    start = time.perf_counter()
    language.detector()
    again = ms_since(start)
    print(f"import lingua          {imported:8.1f} ms")
    print(f"build the detector     {built:8.1f} ms  (once per process; en, nl, de preloaded)")
    print(f"detector() afterwards  {again:8.3f} ms  (the singleton)")
    print(f"memory (max RSS)       {before:8.0f} MB before, {rss_mb():.0f} MB after")
    print()
    rendered = [(want, text, render(text).html) for want, text in SAMPLE]
    times = []
    for _ in range(repeat):
        for _want, _text, body_html in rendered:
            start = time.perf_counter()
            language.detect_language(body_html)
            times.append(ms_since(start))
    times.sort()
    p95 = times[max(0, int(0.95 * len(times)) - 1)]
    print(
        f"one detection (rendered post in, code out; {len(times)} runs): "
        f"p50 {statistics.median(times):.3f} ms, p95 {p95:.3f} ms, max {times[-1]:.3f} ms"
    )
    long_post = render(" ".join(text for want, text in SAMPLE if want == "nl") * 10).html
    start = time.perf_counter()
    language.detect_language(long_post)
    print(f"one detection of a {len(long_post):,}-character post: {ms_since(start):.2f} ms")
    print()
    right = 0
    print("expected  found  confidence  text")
    for want, text, body_html in rendered:
        found = language.detect_language(body_html)
        prose = language.prose(body_html)
        values = language.detector().compute_language_confidence_values(prose)
        best = f"{values[0].language.iso_code_639_1.name.lower()} {values[0].value:.2f}"
        right += found == want
        mark = "" if found == want else "   <-- differs"
        print(f"{want or '-':8}  {found or '-':5}  {best:10}  {text[:60]}{mark}")
    print(f"\n{right} of {len(SAMPLE)} as expected")


# --- the feed filter ------------------------------------------------------------------------


def give_bench_posts_languages() -> None:
    from django.db import connection

    from posts.models import Post

    if Post.objects.exclude(language="").exists():
        print("Bench posts already have languages.")
        return
    cases, low = [], 0
    for code, share in MIX:
        cases.append(f"WHEN mod(id * 7919, 100) < {low + share} THEN '{code}'")
        low += share
    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"UPDATE posts_post SET language = CASE {' '.join(cases)} END")  # noqa: S608
        cur.execute("VACUUM ANALYZE posts_post")
    print(f"Gave {Post.objects.count():,} posts a language in {ms_since(start) / 1000:.0f} s.")


def bench_feed(repeat: int, typical: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from feed import HEAVY, NORMAL, PAGE, SPARSE, WIDE, existing_marker, explain

    from access.viewer import Viewer
    from people.models import User
    from posts import selectors

    if existing_marker() is None:
        sys.exit("bench/language.py --feed: run bench/feed.py on this database first.")
    give_bench_posts_languages()
    rng = random.Random(1)  # noqa: S311
    normal = list(
        User.objects.filter(username__startswith=NORMAL).order_by("id").values_list("id", flat=True)
    )
    people = [
        ("sparse", User.objects.get(username=SPARSE)),
        *(("typical", u) for u in User.objects.filter(pk__in=rng.sample(normal, typical))),
        ("wide", User.objects.get(username=WIDE)),
        ("heavy", User.objects.get(username=HEAVY)),
    ]
    filters = [("off", []), ("en+nl", ["en", "nl"]), ("de only", ["de"])]
    print(f"\nhome_candidates, page 1, {repeat} runs each: p50 / p95 / max ms (posts found)")
    print(f"{'who':8} {'sources':>7}  " + "  ".join(f"{name:>24}" for name, _ in filters))
    worst: dict[str, str] = {}
    for kind, user in people:
        row = []
        for name, codes in filters:
            user.reads_languages, user.only_read_languages_in_feed = codes, bool(codes)
            viewer = Viewer.of(user)
            sources = selectors.FeedSources.of(viewer)
            times = []
            for _ in range(repeat + 1):
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as ctx:
                    found = selectors.home_candidates(viewer, sources, None, PAGE)
                times.append(ms_since(start))
            times = sorted(times[1:])  # the first run warms the cache
            p95 = times[max(0, int(0.95 * len(times)) - 1)]
            row.append(
                f"{statistics.median(times):5.1f} {p95:5.1f} {times[-1]:5.1f} ({len(found):2})"
            )
            if name == "de only":
                worst[f"{kind} {user.username}"] = ctx.captured_queries[-1]["sql"]
        print(f"{kind:8} {sources.count:7}  " + "  ".join(f"{cell:>24}" for cell in row))
    for who, statement in worst.items():
        if who.startswith(("sparse", "wide", "heavy")):
            print(f"\nEXPLAIN ANALYZE, {who}, reading only German:")
            print(explain(statement))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs of each timing")
    parser.add_argument("--feed", action="store_true", help="also time the feed filter")
    parser.add_argument("--typical", type=int, default=5, help="typical followers (--feed)")
    args = parser.parse_args(argv)
    django.setup()
    bench_detector(args.repeat)
    if args.feed:
        bench_feed(args.repeat, args.typical)


if __name__ == "__main__":
    main()
