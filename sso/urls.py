from django.urls import path

from sso import views

app_name = "sso"

urlpatterns = [
    path("authenticate/", views.StartView.as_view(), name="start"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
    path("link/", views.link_account, name="link"),
    path("link/cancel/", views.cancel_link, name="cancel_link"),
]
