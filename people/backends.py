from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    """Django's backend, also refusing guests past their end date. `get_user` asks the same
    question on every request, so an expired guest's open sessions end at their next click."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "guest_expired", False)
