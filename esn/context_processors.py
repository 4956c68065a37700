from django.conf import settings
from django.utils.functional import SimpleLazyObject

from access.viewer import Viewer
from groups.selectors import open_site_reports


def site(request):
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        # Who is looking, as the access layer sees them (`viewer.is_employee`,
        # `viewer.is_admin`): templates show or hide menus with it, never with `user.is_staff`.
        "viewer": getattr(request, "viewer", None)
        or SimpleLazyObject(lambda: Viewer.of(request.user)),
        # Read only where a site admin's menu shows it.
        "site_open_reports": SimpleLazyObject(open_site_reports),
    }
