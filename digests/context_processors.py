from django.utils.functional import SimpleLazyObject

from digests.selectors import unread_count


class _Unread:
    def __init__(self, user):
        self.user = user

    @property
    def count(self) -> int:
        return unread_count(self.user)


def inbox(request):
    """The navigation's unread badge, counted only when a page actually shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: _Unread(user))}
