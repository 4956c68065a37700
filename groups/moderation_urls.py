"""Moderation pages and actions, mounted under /groups/ before the group pages."""

from django.urls import path

from esn import converters  # noqa: F401  (registers <segment:...>)
from groups import moderation_views as views

urlpatterns = [
    path("moderation/", views.site_queue, name="site_moderation"),
    path("moderation/reports/<int:pk>/resolve/", views.resolve, name="resolve_report"),
    path("moderation/posts/<int:pk>/report/", views.report_post, name="report_post"),
    path("moderation/comments/<int:pk>/report/", views.report_comment, name="report_comment"),
    path("moderation/posts/<int:pk>/<segment:action>/", views.post_action, name="post_action"),
    path(
        "moderation/comments/<int:pk>/<segment:action>/",
        views.comment_action,
        name="comment_action",
    ),
    path("<segment:slug>/moderation/", views.group_queue, name="moderation"),
    path("<segment:slug>/audit/", views.audit_log, name="audit"),
]
