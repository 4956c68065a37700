"""Production settings for the benchmarks that run Django in their own process (bench/feed.py,
bench/profile_page.py): DEBUG off, so no query log, the cached template loader and the
manifest static storage, as gunicorn runs them. Call `use()` before `django.setup()`, then
`collect_static()`: with DEBUG off `{% static %}` reads the manifest that collectstatic writes
(once, into var/bench-static). DEBUG=1 in the environment keeps the development settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    # The test client speaks plain http; production sits behind a TLS proxy.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("STATIC_ROOT", str(ROOT / "var" / "bench-static"))
    # The per-person limit would answer 429 to a benchmark's hundreds of requests a minute.
    os.environ.setdefault("RATE_LIMIT_REQUESTS_PER_MINUTE", "1000000")


def collect_static() -> None:
    if os.environ.get("DEBUG") == "1":
        return
    if (Path(os.environ["STATIC_ROOT"]) / "staticfiles.json").exists():
        return
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
    )


def describe() -> str:
    debug = os.environ.get("DEBUG") == "1"
    cache = "Redis" if os.environ.get("CACHE_USE_REDIS") == "1" else "local memory"
    return f"DEBUG={'1' if debug else '0'}, cache: {cache}"
