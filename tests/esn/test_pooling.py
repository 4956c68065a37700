"""Behind PgBouncer in transaction mode (docker-compose.yml's pooler), with the settings
Django needs for it (DATABASE_TRANSACTION_POOLING): a production gunicorn serves, writes and
streams through two server connections; the nightly roll-up, whose lock must not outlive its
transaction, leaves no lock behind; `.iterator()` works outside a transaction."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from posts.models import Post
from tests.factories import UserFactory, make_post
from tests.servers import PGBOUNCER, free_port, gunicorn, pgbouncer, production_env

pytestmark = pytest.mark.django_db(transaction=True)

if not Path(PGBOUNCER).exists() and os.environ.get("ESN_REQUIRE_PROXY") != "1":
    pytest.skip("Debian's pgbouncer is not installed", allow_module_level=True)


def advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        return cursor.fetchone()[0]


def test_a_production_gunicorn_serves_and_writes_through_the_pooler(collected_static, tmp_path):
    author = UserFactory(username="ana.author")
    for number in range(30):
        make_post(author, f"Post number {number} #pooling")
    client = Client()
    client.force_login(author)
    cookie = client.cookies["sessionid"].value

    with pgbouncer(pool_size=2) as pooled:
        env = production_env(
            collected_static,
            DATABASE_URL=pooled,
            DATABASE_TRANSACTION_POOLING="1",
            plain_http=True,
            GUNICORN_THREADS="4",
        )
        with gunicorn(free_port(), env, tmp_path / "gunicorn.log") as site:
            browser = requests.Session()
            browser.cookies.set("sessionid", cookie)
            home = browser.get(f"{site}/", timeout=10)
            token = browser.cookies["csrftoken"]

            def read(path: str) -> int:
                return browser.get(f"{site}{path}", timeout=20).status_code

            # More requests at once than the pool has server connections.
            pages = ["/", "/hashtags/pooling/", "/search/?q=number", "/inbox/"] * 4
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(pool.map(read, pages))
            published = browser.post(
                f"{site}/posts/new/",
                data={"body": "Written through the pooler"},
                headers={"X-CSRFToken": token},
                allow_redirects=False,
                timeout=10,
            )

    assert home.status_code == 200 and "Post number 29" in home.text
    assert statuses == [200] * len(pages)
    assert published.status_code == 302
    assert Post.objects.filter(body="Written through the pooler").exists()


def test_the_roll_up_through_the_pooler_leaves_no_lock_behind(tmp_path):
    author = UserFactory(username="ana.author")
    make_post(author, "Counted tonight")

    with pgbouncer(pool_size=2) as pooled:
        env = {**os.environ, "DATABASE_URL": pooled, "DATABASE_TRANSACTION_POOLING": "1"}
        runs = [
            subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", "rollup_analytics"],
                cwd=settings.BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            for _ in range(2)
        ]

    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr[-2000:]
    assert advisory_locks() == 0


def test_iterating_a_large_result_outside_a_transaction_works_through_the_pooler(
    tmp_path, settings
):
    """Django's server-side cursors need the same server connection from one fetch to the
    next, which transaction pooling does not promise: DATABASE_TRANSACTION_POOLING turns them
    off, and `.iterator()` reads everything through the pooler."""
    author = UserFactory(username="ana.author")
    for number in range(5):
        make_post(author, f"Post {number}")
    with pgbouncer(pool_size=1) as pooled:
        script = (
            "import django; django.setup();"
            "from posts.models import Post;"
            "from django.db import connection;"
            "print(sum(1 for _ in Post.objects.iterator(chunk_size=2)),"
            " connection.settings_dict['DISABLE_SERVER_SIDE_CURSORS'])"
        )
        env = {**os.environ, "DATABASE_URL": pooled, "DATABASE_TRANSACTION_POOLING": "1"}
        env["DJANGO_SETTINGS_MODULE"] = "esn.settings"
        run = subprocess.run(  # noqa: S603
            [sys.executable, "-c", script],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "5 True"
