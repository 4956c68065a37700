"""Browser journeys: real Chromium (Debian's package) driven by Playwright against
pytest-django's live server.

Run only these with `make e2e` (or `pytest -m e2e`). Without Chromium the tests are skipped,
unless ESN_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import DESKTOP

# Assertions wait as long as actions do (the context's default below): on a busy two-core
# machine an htmx answer or a picker's list can take more than Playwright's 5 s default.
try:
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=10_000)
except ImportError:  # no Playwright: the browser fixture skips or fails with the reason
    pass

CHROMIUM = os.environ.get("ESN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

BROWSER_ERRORS = pytest.StashKey[list]()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A page that logged a console error, threw, or hit a CSP violation fails its test."""
    result = yield
    errors = item.stash.get(BROWSER_ERRORS, None)
    if errors:
        pytest.fail(
            "The browser reported errors:\n" + "\n".join(f"  - {e}" for e in errors),
            pytrace=False,
        )
    return result


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the e2e package.

    Package-scoped rather than session-scoped on purpose: while Playwright's sync API is
    started, its asyncio loop counts as "running" in this thread, so Django refuses ORM calls
    (SynchronousOnlyOperation) unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Both the loop and that
    variable are confined to tests/e2e and gone before the rest of the suite runs.
    """
    executable = CHROMIUM if os.path.isabs(CHROMIUM) else shutil.which(CHROMIUM)
    if not executable or not os.path.exists(executable):
        if os.environ.get("ESN_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"ESN_REQUIRE_BROWSER=1 but Chromium is not at {CHROMIUM} (set ESN_CHROMIUM to "
                "its path, or run `apt-get update && apt-get install -y chromium`)",
                pytrace=False,
            )
        pytest.skip("Chromium not installed: run `apt-get update && apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server(plain_http_live_server):
    """Every journey's live server speaks plain HTTP (tests/conftest.py says why)."""


@pytest.fixture(autouse=True)
def _plain_http_cookies(settings):
    # Production defaults mark the cookies Secure, which a browser drops over plain http.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def browser_errors(request) -> list[str]:
    """Console errors and uncaught exceptions of every page of the test (see the hook above).
    A test that provokes an error on purpose can inspect and clear this list."""
    errors: list[str] = []
    request.node.stash[BROWSER_ERRORS] = errors
    return errors


def _record_console_error(message, errors: list[str]) -> None:
    if message.type == "error":
        where = message.location.get("url") if message.location else ""
        errors.append(f"console: {message.text}" + (f" ({where})" if where else ""))


@pytest.fixture
def new_page(browser, live_server, browser_errors) -> Iterator[Callable]:
    """Open a page in a fresh browser context (its own cookies: another person)."""
    contexts = []

    def open_page(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: _record_console_error(msg, browser_errors))
        page.on("pageerror", lambda exc: browser_errors.append(f"page error: {exc}"))
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
