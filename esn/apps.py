from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EsnConfig(AppConfig):
    name = "esn"
    verbose_name = _("ESN site")
