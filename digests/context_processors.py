from django.utils.functional import SimpleLazyObject, cached_property

from digests.selectors import unread_count


class _Unread:
    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        # Read once per page: the navigation's badge and the page title both show it.
        return unread_count(self.user)


def inbox(request):
    """The navigation's unread badge, counted only when a page actually shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: _Unread(user))}
