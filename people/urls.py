from django.urls import path

from esn import converters  # noqa: F401  (registers <segment:...>)
from people import views

app_name = "people"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("me/edit/", views.edit_profile, name="edit_profile"),
    path("me/language/", views.language_settings, name="languages"),
    path("<segment:username>/", views.profile, name="profile"),
    path("<segment:username>/avatar/", views.avatar, name="avatar"),
    path("<segment:username>/follow/", views.follow, name="follow"),
    path("<segment:username>/block/", views.block, name="block"),
    path("<segment:username>/mute/", views.mute, name="mute"),
    path(
        "<segment:username>/following/",
        views.follow_list,
        {"direction": "following"},
        name="following",
    ),
    path(
        "<segment:username>/followers/",
        views.follow_list,
        {"direction": "followers"},
        name="followers",
    ),
]
