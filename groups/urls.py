from django.urls import include, path

from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("new/", views.create, name="create"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/accept/", views.accept, name="accept"),
    path("invitations/<int:pk>/decline/", views.decline, name="decline"),
    path("", include("groups.moderation_urls")),
    path("<str:slug>/", views.detail, name="detail"),
    path("<str:slug>/edit/", views.edit, name="edit"),
    path("<str:slug>/cover/", views.cover, name="cover"),
    path("<str:slug>/archive/", views.archive, name="archive"),
    path("<str:slug>/join/", views.join, name="join"),
    path("<str:slug>/withdraw/", views.withdraw, name="withdraw"),
    path("<str:slug>/leave/", views.leave, name="leave"),
    path("<str:slug>/mute/", views.mute, name="mute"),
    path("<str:slug>/members/", views.members, name="members"),
    path("<str:slug>/invite/", views.invite, name="invite"),
    path("<str:slug>/requests/<int:pk>/approve/", views.approve, name="approve"),
    path("<str:slug>/requests/<int:pk>/decline/", views.decline_request, name="decline_request"),
    path("<str:slug>/invitations/<int:pk>/revoke/", views.revoke, name="revoke"),
    path(
        "<str:slug>/members/<str:username>/<str:action>/",
        views.member_action,
        name="member_action",
    ),
]
