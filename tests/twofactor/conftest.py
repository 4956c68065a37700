from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp import models as totp_models

# A fixed moment (2026-03-02 09:00:00 UTC), so codes do not depend on the wall clock.
NOW = 1_772_442_000


class FrozenClock:
    """Stands in for the `time` module inside django-otp's TOTP device: the server's
    "now" is whatever the test says."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    frozen = FrozenClock(NOW)
    monkeypatch.setattr(totp_models, "time", frozen)
    return frozen


def code_at(secret: str, when: float) -> str:
    """The 6 digits an authenticator app holding `secret` (base32, as shown) shows at `when`."""
    secret = secret.replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = when
    return f"{totp.token():06d}"
