from django.urls import path

from hashtags import views

app_name = "hashtags"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<str:slug>/", views.detail, name="detail"),
    path("<str:slug>/follow/", views.follow, name="follow"),
    path("<str:slug>/mute/", views.mute, name="mute"),
]
