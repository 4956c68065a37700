from django.urls import include, path

from esn import converters  # noqa: F401  (registers <segment:...>)
from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("new/", views.create, name="create"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/accept/", views.accept, name="accept"),
    path("invitations/<int:pk>/decline/", views.decline, name="decline"),
    path("", include("groups.moderation_urls")),
    path("<segment:slug>/", views.detail, name="detail"),
    path("<segment:slug>/edit/", views.edit, name="edit"),
    path("<segment:slug>/cover/", views.cover, name="cover"),
    path("<segment:slug>/archive/", views.archive, name="archive"),
    path("<segment:slug>/join/", views.join, name="join"),
    path("<segment:slug>/withdraw/", views.withdraw, name="withdraw"),
    path("<segment:slug>/leave/", views.leave, name="leave"),
    path("<segment:slug>/mute/", views.mute, name="mute"),
    path("<segment:slug>/members/", views.members, name="members"),
    path(
        "<segment:slug>/members/requests/",
        views.members,
        {"tab": "requests"},
        name="member_requests",
    ),
    path(
        "<segment:slug>/members/invitations/",
        views.members,
        {"tab": "invitations"},
        name="member_invitations",
    ),
    path("<segment:slug>/invite/", views.invite, name="invite"),
    path("<segment:slug>/invite/guest/", views.invite_guest, name="invite_guest"),
    path("<segment:slug>/requests/<int:pk>/approve/", views.approve, name="approve"),
    path(
        "<segment:slug>/requests/<int:pk>/decline/", views.decline_request, name="decline_request"
    ),
    path("<segment:slug>/invitations/<int:pk>/revoke/", views.revoke, name="revoke"),
    path(
        "<segment:slug>/members/<segment:username>/<segment:action>/",
        views.member_action,
        name="member_action",
    ),
]
