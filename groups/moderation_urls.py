"""Moderation pages and actions, mounted under /groups/ before the group pages."""

from django.urls import path

from groups import moderation_views as views

urlpatterns = [
    path("moderation/", views.site_queue, name="site_moderation"),
    path("moderation/reports/<int:pk>/resolve/", views.resolve, name="resolve_report"),
    path("moderation/posts/<int:pk>/report/", views.report_post, name="report_post"),
    path("moderation/comments/<int:pk>/report/", views.report_comment, name="report_comment"),
    path("moderation/posts/<int:pk>/<str:action>/", views.post_action, name="post_action"),
    path("moderation/comments/<int:pk>/<str:action>/", views.comment_action, name="comment_action"),
    path("<str:slug>/moderation/", views.group_queue, name="moderation"),
    path("<str:slug>/audit/", views.audit_log, name="audit"),
]
