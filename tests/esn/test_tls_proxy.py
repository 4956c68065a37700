"""The production path through the TLS proxy: Debian's caddy with deploy/caddy/Caddyfile (as
docker-compose.yml runs it) in front of a production gunicorn. HTTPS on a certificate from
Caddy's local CA, secure cookies and HSTS; the sign-in throttle counts the real client's
address, not the proxy's nor one the client made up; headers sent straight to gunicorn,
around the proxy, are not believed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import urllib3.util.connection
from axes.models import AccessAttempt
from django.conf import settings
from requests.adapters import HTTPAdapter

from tests.factories import PASSWORD, UserFactory
from tests.servers import free_port, gunicorn, production_env, server_password

pytestmark = pytest.mark.django_db(transaction=True)

CADDYFILE = Path(settings.BASE_DIR) / "deploy" / "caddy" / "Caddyfile"
CADDY = shutil.which("caddy")
if CADDY is None and os.environ.get("ESN_REQUIRE_PROXY") != "1":
    pytest.skip("Debian's caddy is not installed (apt-get install caddy)", allow_module_level=True)


class FromAddress(HTTPAdapter):
    """A browser on another computer: its connections leave from `address` (any 127.x.y.z
    is this machine's loopback), so the proxy sees a client address that is not its own."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser(address: str, ca: Path) -> requests.Session:
    session = requests.Session()
    session.mount("https://", FromAddress(address))
    session.mount("http://", FromAddress(address))
    session.verify = str(ca)
    # REQUESTS_CA_BUNDLE, where set, would replace the certificate given here.
    session.trust_env = False
    return session


@pytest.fixture
def proxied_site(collected_static, tmp_path, monkeypatch):
    """gunicorn behind caddy: yields the site's https address and Caddy's root certificate."""
    # "localhost" resolves to ::1 first; the test's browsers speak IPv4 from 127.0.0.x.
    monkeypatch.setattr(urllib3.util.connection, "allowed_gai_family", lambda: socket.AF_INET)
    https_port, http_port, web_port = free_port(), free_port(), free_port()
    site = f"https://localhost:{https_port}"
    env = production_env(
        collected_static,
        # The production defaults stay: HTTPS redirect, secure cookies, HSTS.
        ALLOWED_HOSTS="localhost",
        CSRF_TRUSTED_ORIGINS=site,
        TRUSTED_PROXY_COUNT="1",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        SIGN_IN_FAILURE_LIMIT="3",
    )
    env.pop("BEHIND_TLS_PROXY", None)
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        env.pop(name, None)
    home = tmp_path / "caddy"
    caddy_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "ESN_DOMAIN": f"localhost:{https_port}",
        "ESN_UPSTREAM": f"127.0.0.1:{web_port}",
        "MEDIA_DOMAIN": f"media.localhost:{https_port}",
        "CADDY_GLOBAL_OPTIONS": (
            f"skip_install_trust\nadmin off\nhttp_port {http_port}\nhttps_port {https_port}"
        ),
    }
    log = tmp_path / "caddy.log"
    with gunicorn(web_port, env, tmp_path / "gunicorn.log"):
        caddy = subprocess.Popen(  # noqa: S603
            [CADDY, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=caddy_env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            ca = home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
            deadline = time.monotonic() + 30
            while True:
                assert caddy.poll() is None, log.read_text()[-3000:]
                try:
                    if ca.exists() and requests.get(f"{site}/healthz", verify=str(ca), timeout=2):
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            yield site, ca, f"http://127.0.0.1:{web_port}", http_port
        finally:
            caddy.terminate()
            caddy.wait(timeout=10)


def csrf_token(session: requests.Session, site: str) -> str:
    page = session.get(f"{site}/accounts/login/", timeout=10)
    assert page.status_code == 200
    return session.cookies["csrftoken"]


def sign_in(session: requests.Session, site: str, username: str, password: str, **headers):
    token = csrf_token(session, site)
    return session.post(
        f"{site}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{site}/accounts/login/", **headers},
        allow_redirects=False,
        timeout=10,
    )


def test_https_on_a_local_certificate_with_secure_cookies_and_hsts(proxied_site):
    site, ca, _, http_port = proxied_site
    server_password(UserFactory(username="ana.jansen"), PASSWORD)
    ana = browser("127.0.0.2", ca)

    page = ana.get(f"{site}/accounts/login/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "; secure" in page.headers["Set-Cookie"].lower()

    signed_in = sign_in(ana, site, "ana.jansen", PASSWORD)
    assert signed_in.status_code == 302
    session_cookie = next(c for c in ana.cookies if c.name == "sessionid")
    assert session_cookie.secure
    assert session_cookie.has_nonstandard_attr("HttpOnly")
    assert ana.get(f"{site}/", timeout=10).status_code == 200
    # The proxy's request id is the one the app logs and returns.
    assert len(ana.get(f"{site}/", timeout=10).headers["X-Request-ID"]) == 36

    # Plain http to the proxy is sent to https.
    plain = ana.get(f"http://localhost:{http_port}/", allow_redirects=False, timeout=10)
    assert plain.status_code in (301, 308)
    assert plain.headers["Location"].startswith("https://localhost")
    # Without a certificate the browser trusts, nothing is sent.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{site}/", timeout=10)


def test_the_sign_in_throttle_counts_the_real_clients_address(proxied_site):
    site, ca, _, _ = proxied_site
    server_password(UserFactory(username="ana.jansen"), PASSWORD)

    attacker = browser("127.0.0.2", ca)
    statuses = [
        sign_in(attacker, site, "ana.jansen", "wrong", **{"X-Forwarded-For": made_up}).status_code
        for made_up in ("6.6.6.6", "7.7.7.7", "8.8.8.8")
    ]

    # The third failure (SIGN_IN_FAILURE_LIMIT) locks, whatever address each claimed.
    assert statuses == [200, 200, 429]

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.2"]
    locked = sign_in(attacker, site, "ana.jansen", PASSWORD)
    assert locked.status_code == 429
    # Ana, at her own desk, still signs in: the lock is on that address, not the proxy's.
    ana = browser("127.0.0.3", ca)
    assert sign_in(ana, site, "ana.jansen", PASSWORD).status_code == 302


def test_forwarded_headers_sent_around_the_proxy_are_not_believed(proxied_site):
    """Straight to gunicorn from another address: it claims HTTPS and another client address.
    gunicorn believes X-Forwarded-Proto from the proxy alone, so Django still sees plain http
    and redirects to https (the throttle's side: tests/people/test_sign_in_throttle.py)."""
    site, ca, direct, _ = proxied_site
    sneaky = browser("127.0.0.4", ca)
    forged = {"X-Forwarded-Proto": "https", "Host": "localhost"}

    response = sneaky.get(f"{direct}/accounts/login/", headers=forged, allow_redirects=False)

    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/accounts/login/"
