"""The one write outside the roll-up: recording that someone looked at, or downloaded,
community-health figures (the audit log admins read)."""

from __future__ import annotations

from typing import Any

from analytics.models import AuditEntry


def record_look(
    viewer: Any, kind: str, segment: str, segment_id: int = 0, detail: str = ""
) -> None:
    AuditEntry.objects.create(
        viewer_id=getattr(viewer, "pk", None),
        kind=kind,
        segment=segment,
        segment_id=segment_id,
        detail=detail[:200],
    )
