from django.urls import path

from welcome import views

app_name = "welcome"

urlpatterns = [
    path("get-started/dismiss/", views.dismiss_get_started, name="dismiss_get_started"),
    path("announcements/<int:pk>/dismiss/", views.dismiss_announcement, name="dismiss"),
    path("announcements/<int:pk>/end/", views.end, name="end"),
    path("announcements/posts/<int:pk>/", views.announce, name="announce"),
]
