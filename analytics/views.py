from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from access.analytics import can_see_group_insights, can_see_site_analytics
from analytics import catalog, selectors, services, visits
from analytics.charts import Chart, bar_chart
from analytics.csv import csv_response
from analytics.models import AnalyticsSettings, AuditEntry, Period, Segment
from analytics.privacy import shown_text
from analytics.selectors import GroupInsights, Series
from esn.db import reads_from_replica
from esn.typing import HtmxHttpRequest
from groups.pages import GroupForViewer, group_for_viewer


def _period(request: HtmxHttpRequest) -> str:
    asked = request.GET.get("period", Period.WEEK)
    return asked if asked in Period.values else Period.WEEK


def _periods(current: str) -> list[dict[str, Any]]:
    return [
        {"value": p.value, "name": p.label, "current": p.value == current}
        for p in (Period.DAY, Period.WEEK, Period.MONTH)
    ]


def _chart(series: Series, k: int, period: str) -> Chart:
    return bar_chart(
        series.points,
        k=k,
        period_heading=selectors.period_heading(period),
        percent=series.percent,
        hours=series.hours,
        title=series.label,
        id=f"chart-{series.metric}",
    )


def _series_rows(
    all_series: list[Series], k: int, period: str
) -> tuple[list[str], list[list[str]]]:
    """One CSV: a row per period, a column per figure, each as the page shows it."""
    header = [selectors.period_heading(period)] + [s.label for s in all_series]
    names = [name for name, _cell in all_series[0].points] if all_series else []
    rows = []
    for i, name in enumerate(names):
        rows.append(
            [name]
            + [shown_text(s.points[i][1], k, percent=s.percent, hours=s.hours) for s in all_series]
        )
    return header, rows


# The figures change once a night: the rendered figures of a period are kept until the
# roll-up writes new ones (its rows' highest id is the version), per language and k.
BODY_SECONDS = 6 * 3600


@reads_from_replica
def site(request: HtmxHttpRequest) -> HttpResponseBase:
    if not can_see_site_analytics(request.user):
        raise PermissionDenied(
            _("Only site administrators and people they chose can see the network's figures.")
        )
    period = _period(request)
    k = selectors.k_value()
    key = ":".join(
        str(part)
        for part in (
            "analytics:site-body",
            period,
            get_language(),
            k,
            timezone.localdate(),
            selectors.figures_version(),
        )
    )
    body = cache.get(key)
    if body is None:
        overview = selectors.site_overview(period)
        body = render_to_string(
            "analytics/_site_body.html",
            {
                "overview": overview,
                "charts": [_chart(s, k, period) for s in overview.series],
                "shares": [_chart(s, k, period) for s in overview.shares],
                "answers": [_chart(s, k, period) for s in overview.answers],
                "k": k,
            },
            request=request,
        )
        cache.set(key, body, BODY_SECONDS)
    services.record_look(request.user, AuditEntry.Kind.SITE_PAGE, Segment.SITE, detail=period)
    return render(
        request,
        "analytics/site.html",
        {"body": mark_safe(body), "period": period, "periods": _periods(period), "k": k},  # noqa: S308 (our own rendered template)
    )


@reads_from_replica
def site_csv(request: HtmxHttpRequest) -> HttpResponseBase:
    if not can_see_site_analytics(request.user):
        raise PermissionDenied(
            _("Only site administrators and people they chose can see the network's figures.")
        )
    period = _period(request)
    overview = selectors.site_overview(period)
    services.record_look(request.user, AuditEntry.Kind.SITE_CSV, Segment.SITE, detail=period)
    header, rows = _series_rows(
        overview.series + overview.shares + overview.answers, overview.k, period
    )
    return csv_response(f"network-{period}.csv", header, rows)


def _group_look(
    request: HtmxHttpRequest, slug: str, kind: str
) -> tuple[GroupForViewer, str, GroupInsights]:
    """A group's insights for one who may see them, the look recorded: 404 for a group the
    viewer may not know of (a secret one looks like none), 403 for one they do not manage."""
    place = group_for_viewer(request, slug)
    if not can_see_group_insights(request.user, place.group):
        raise PermissionDenied(_("Only this group's owners and managers can see its insights."))
    period = _period(request)
    insights = selectors.group_insights(request.viewer, place.group, period)
    services.record_look(request.user, kind, Segment.GROUP, place.group.pk, detail=period)
    return place, period, insights


@reads_from_replica
def group_insights(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place, period, insights = _group_look(request, slug, AuditEntry.Kind.GROUP_PAGE)
    k = insights.k
    return render(
        request,
        "analytics/group.html",
        {
            "place": place,
            "group": place.group,
            "insights": insights,
            "period": period,
            "periods": _periods(period),
            "charts": [_chart(s, k, period) for s in insights.series],
            "shares": [_chart(s, k, period) for s in insights.shares],
            "reply": _chart(insights.median_first_reply, k, period),
            "k": k,
        },
    )


@reads_from_replica
def group_csv(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place, period, insights = _group_look(request, slug, AuditEntry.Kind.GROUP_CSV)
    header, rows = _series_rows(
        insights.series + insights.shares + [insights.median_first_reply], insights.k, period
    )
    return csv_response(f"group-{place.group.slug}-{period}.csv", header, rows)


def measurement(request: HtmxHttpRequest) -> HttpResponseBase:
    return render(
        request,
        "analytics/measurement.html",
        {
            "audiences": catalog.AUDIENCES,
            "k": AnalyticsSettings.current().k,
            "keep_days": visits.TTL.days,
            "unanswered_hours": 48,
            "own": selectors.own_numbers(request.user),
            "can_see_site": can_see_site_analytics(request.user),
        },
    )
