"""Real servers for tests of the production path: gunicorn with gunicorn.conf.py and production
settings (DEBUG off, collected static files), as the Dockerfile runs it, against the test
database. The test must commit what the server should see (`transactional_db`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(name: str | None = None) -> str:
    """A postgres:// URL another process can use for the test database (or database `name` on
    the same server), as this process connects."""
    db = connection.settings_dict
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "localhost", safe="")  # a socket directory is quoted too
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(name or db['NAME'], safe='')}"


# The production defaults for HTTPS (redirect, secure cookies), off for a server the test
# talks to over plain http without the TLS proxy in front.
PLAIN_HTTP = {"SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"}


def production_env(static_root: Path, *, plain_http: bool = False, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "0",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "STATIC_ROOT": str(static_root),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_USE_REDIS": "1",
        "LOG_FORMAT": "json",
        "GUNICORN_ACCESS_LOG": "",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        # Each test's own limits are not what these servers test.
        "RATE_LIMIT_REQUESTS_PER_MINUTE": "10000",
    }
    if plain_http:
        env.update(PLAIN_HTTP)
    env.update(extra)
    return env


def server_password(user, password: str) -> None:
    """Give `user` a password these servers accept: they check with the production hashers,
    not the tests' fast one (tests/conftest.py)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user.password = PBKDF2PasswordHasher().encode(password, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])


def collect_static(target: Path) -> Path:
    """What the Dockerfile does at build time: the hashed, compressed static files WhiteNoise
    serves when DEBUG is off."""
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DEBUG": "0", "STATIC_ROOT": str(target)},
        check=True,
    )
    return target


def wait_until_ready(url: str, server: subprocess.Popen, log: Path, *, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise AssertionError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the server never became ready:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@contextmanager
def pgbouncer(*, pool_size: int = 2) -> Iterator[str]:
    """Debian's PgBouncer in transaction mode in front of the test database, as compose runs
    it: yields a DATABASE_URL through it."""
    db = connection.settings_dict
    port = free_port()
    # Not under pytest's temporary directories: PgBouncer drops root and must still read its
    # files, and those directories are the owner's alone.
    tmp = Path(tempfile.mkdtemp(prefix="esn-pgbouncer-"))
    server = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}"
    if db["PASSWORD"]:
        server += f" password={db['PASSWORD']}"
    env = {
        "PATH": f"{os.environ.get('PATH', '/usr/bin:/bin')}:/usr/sbin",
        "DB_HOST": db["HOST"] or "127.0.0.1",
        "DB_PORT": str(db["PORT"] or 5432),
        "DB_USER": db["USER"],
        "DB_PASSWORD": db["PASSWORD"] or "",
        "PGBOUNCER_LISTEN_ADDR": "127.0.0.1",
        "PGBOUNCER_PORT": str(port),
        # The clients here are the test's own processes; the server connections carry the
        # real credentials.
        "PGBOUNCER_AUTH_TYPE": "trust",
        "PGBOUNCER_POOL_SIZE": str(pool_size),
        "PGBOUNCER_CONFIG_DIR": str(tmp),
    }
    # PgBouncer refuses to run as root; as root, it is told whom to become.
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    process = subprocess.Popen(  # noqa: S603
        [str(PGBOUNCER_ENTRYPOINT), *as_user],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "stderr.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, (tmp / "stderr.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "PgBouncer did not start"
                time.sleep(0.1)
        yield f"postgres://{db['USER']}@127.0.0.1:{port}/{db['NAME']}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
PGBOUNCER_ENTRYPOINT = Path(settings.BASE_DIR) / "deploy" / "pgbouncer" / "entrypoint.sh"


@contextmanager
def gunicorn(port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn -c gunicorn.conf.py on 127.0.0.1:port, ready (its /readyz answers 200)."""
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "esn.wsgi:application"],
        cwd=settings.BASE_DIR,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/readyz", server, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
