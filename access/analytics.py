"""Who may see community-health figures (issue 15). Figures are aggregates, but they still
describe places: the network's figures are for site admins and the people an admin gave the
"analytics" permission; a group's insights are for those who manage that group (site admins
among them); a hashtag's figures count what every employee can read, so employees see them.
Everybody may read what is measured (/measurement/) and their own numbers."""

from __future__ import annotations

from typing import Any

from access.actions import can_manage_group
from access.viewer import as_viewer
from groups.models import Group

SEE_SITE_ANALYTICS = "analytics.view_site_analytics"


def can_see_site_analytics(who: Any) -> bool:
    viewer = as_viewer(who)
    if viewer.is_admin:
        return True
    return viewer.is_employee and viewer.user.has_perm(SEE_SITE_ANALYTICS)


def can_see_group_insights(who: Any, group: Group) -> bool:
    return can_manage_group(who, group)


def can_see_hashtag_figures(who: Any) -> bool:
    return as_viewer(who).is_employee
