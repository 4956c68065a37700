from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("me/edit/", views.edit_profile, name="edit_profile"),
    path("<str:username>/", views.profile, name="profile"),
    path("<str:username>/avatar/", views.avatar, name="avatar"),
    path("<str:username>/follow/", views.follow, name="follow"),
    path("<str:username>/block/", views.block, name="block"),
    path("<str:username>/mute/", views.mute, name="mute"),
    path(
        "<str:username>/following/", views.follow_list, {"direction": "following"}, name="following"
    ),
    path(
        "<str:username>/followers/", views.follow_list, {"direction": "followers"}, name="followers"
    ),
]
