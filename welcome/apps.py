from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WelcomeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "welcome"
    verbose_name = _("First day and announcements")
