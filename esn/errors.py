"""Optional error tracking with Sentry (or a Sentry-compatible service such as GlitchTip),
started from the end of esn/settings.py when SENTRY_DSN is set.

What leaves the site is kept to what a developer needs to find the bug: the exception, its
stack (without local variables: they hold what people wrote, including private groups'
posts), the URL and the non-secret headers. Cookies, Authorization headers and request
bodies are dropped by `scrub_event`; who the user is is not sent (send_default_pii off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

# Request headers that carry credentials (compared lower-case).
SECRET_HEADERS = frozenset(
    {"cookie", "authorization", "proxy-authorization", "x-csrftoken", "x-api-key"}
)


def scrub_event(event: Event, hint: Hint) -> Event:
    """Sentry's before_send: the event without cookies, credential headers or request body."""
    request: Any = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if str(name).lower() not in SECRET_HEADERS
            }
    return event


def init_error_tracking(
    *, dsn: str, environment: str = "", release: str = "", traces_sample_rate: float = 0.0
) -> bool:
    """Start reporting errors of this process (web, Celery worker, command) to `dsn`.
    Nothing happens without a DSN. Returns whether reporting is on."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # send_default_pii stays unset, which means False: no user identity, cookies or
        # client address. (Passing it at all is deprecated since sentry-sdk 2.7x in favour
        # of data_collection, which would also switch off the SDK's own EventScrubber.)
        traces_sample_rate=traces_sample_rate,
        environment=environment or None,
        release=release or None,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        # Belt and braces with scrub_event: bodies are never even read into the event.
        max_request_body_size="never",
        include_local_variables=False,
    )
    return True
