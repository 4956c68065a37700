"""Moderation pages and actions (queues, audit log, pin/lock/remove/report)."""

urlpatterns = []
