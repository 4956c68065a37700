from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.utils.translation import gettext_lazy as _


class EsnConfig(AppConfig):
    name = "esn"
    verbose_name = _("ESN site")

    def ready(self) -> None:
        # Each request's id for its log records, from its first moment to its last (esn/logs.py).
        from esn import logs

        request_started.connect(logs.request_started, dispatch_uid="esn-request-id-start")
        request_finished.connect(logs.request_finished, dispatch_uid="esn-request-id-end")
