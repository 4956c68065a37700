from django.apps import AppConfig


class EsnConfig(AppConfig):
    name = "esn"
    verbose_name = "ESN site"
