from django.urls import path

from twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("", views.two_step_settings, name="settings"),
    path("on/", views.enrol, name="enrol"),
    path("off/", views.turn_off, name="turn_off"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
