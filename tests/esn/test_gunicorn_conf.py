"""The web server's settings (gunicorn.conf.py), as production and the load bench use them:
read from the environment, and a real gunicorn started with them serves the site."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.conf import settings

CONF = Path(settings.BASE_DIR) / "gunicorn.conf.py"


def load(monkeypatch, **env):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_the_defaults_use_threads_and_trust_only_a_local_proxy(monkeypatch):
    conf = load(monkeypatch)
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] == (os.cpu_count() or 1) + 1
    assert conf["threads"] == 4
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    # Never '*': anyone could claim HTTPS, or another address for the sign-in throttle.
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert conf["bind"] == "0.0.0.0:8000"
    assert conf["control_socket_disable"] is True


def test_the_environment_sets_workers_threads_port_and_the_proxy(monkeypatch):
    conf = load(
        monkeypatch,
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="8",
        PORT="9000",
        FORWARDED_ALLOW_IPS="10.0.0.5",
    )
    assert (conf["workers"], conf["threads"], conf["bind"]) == (3, 8, "0.0.0.0:9000")
    assert conf["forwarded_allow_ips"] == "10.0.0.5"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_a_real_gunicorn_with_this_configuration_serves_the_site(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": "",
    }
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "esn.wsgi:application"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=15)
