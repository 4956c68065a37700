"""The My settings page (being written)."""

from django.http import HttpResponse


def my_settings(request):
    return HttpResponse("")


def set_level(request):
    return HttpResponse("")
