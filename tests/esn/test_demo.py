"""What someone trying the demo meets (issue 12): the product's own 404 page, and mails from
`make digests` that lead to the running site."""

from __future__ import annotations

import json

import pytest

from esn import embedded
from esn.middleware import DemoNotFoundMiddleware


@pytest.mark.django_db
@pytest.mark.parametrize("demo", [True, False])
def test_a_missing_page_in_the_demo_is_the_products_own(rf, member, demo, settings):
    from django.http import Http404

    def missing(request):
        from django.core.handlers.exception import response_for_exception

        return response_for_exception(request, Http404("No such post."))

    settings.DEBUG, settings.DEMO_MODE = True, demo
    request = rf.get("/posts/999999/")
    request.user = member
    request.session = {}
    response = DemoNotFoundMiddleware(missing)(request)
    assert response.status_code == 404
    page = response.content.decode()
    if demo:
        assert "We can’t find that page" in page and "Go to your feed" in page
    else:
        assert "Page not found" in page  # a developer keeps Django's technical page


def test_make_digests_takes_the_running_sites_address(tmp_path, monkeypatch):
    info = tmp_path / "run.json"
    info.write_text(json.dumps({"port": 8100, "site_url": "http://127.0.0.1:8100"}))
    monkeypatch.setattr(embedded, "RUN_INFO", info)
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    seen = {}

    def fake_call(argv, env):
        seen.update(env)
        return 0

    monkeypatch.setattr(embedded.subprocess, "call", fake_call)
    monkeypatch.setattr(
        embedded, "ensure_services", lambda for_tests: embedded.Services(env={"X": "1"})
    )
    assert embedded.cmd_exec(["true"], like_run=True) == 0
    assert seen["SITE_URL"] == "http://127.0.0.1:8100"
    # No test key: the mail's signed links verify with the running site's key.
    assert "SECRET_KEY" not in seen
    assert seen["DEBUG"] == "1"
