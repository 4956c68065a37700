from django.urls import path

from digests import settings_views, views
from esn import converters  # noqa: F401  (registers <segment:...>)

app_name = "digests"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.open_item, name="open"),
    path("inbox/<int:pk>/read/", views.mark_read, name="mark_read"),
    path("inbox/read-all/", views.read_all, name="read_all"),
    path("settings/notifications/", settings_views.my_settings, name="settings"),
    path("settings/notifications/source/", settings_views.set_level, name="set_level"),
    path("digests/<int:pk>/", views.digest_in_browser, name="digest"),
    path("digests/unsubscribe/<segment:token>/", views.unsubscribe, name="unsubscribe"),
]
