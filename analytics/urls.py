from django.urls import path

from analytics import views
from esn import converters  # noqa: F401  (registers <segment:...>)

app_name = "analytics"
urlpatterns = [
    path("analytics/", views.site, name="site"),
    path("analytics/network.csv", views.site_csv, name="site_csv"),
    path("groups/<segment:slug>/insights/", views.group_insights, name="group"),
    path("groups/<segment:slug>/insights.csv", views.group_csv, name="group_csv"),
    path("measurement/", views.measurement, name="measurement"),
]
