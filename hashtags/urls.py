from django.urls import path

from esn import converters  # noqa: F401  (registers <segment:...>)
from hashtags import views

app_name = "hashtags"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<segment:slug>/", views.detail, name="detail"),
    path("<segment:slug>/follow/", views.follow, name="follow"),
    path("<segment:slug>/mute/", views.mute, name="mute"),
]
