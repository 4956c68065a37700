from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DigestsConfig(AppConfig):
    name = "digests"
    verbose_name = _("Notifications and digests")

    def ready(self) -> None:
        # Recorded inbox events go to a worker right after the commit (digests.services
        # never imports its own tasks; this is where the two meet).
        from digests import services, tasks

        services.hand_to_worker = tasks.deliver_inbox_event.delay

        # Pages show times in the person's own time zone from the moment they sign in.
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_remember_time_zone, dispatch_uid="digests-time-zone")


def _remember_time_zone(sender, request, user, **kwargs) -> None:
    from digests.models import DigestChoice
    from esn.middleware import remember_time_zone

    if request is None or not hasattr(request, "session"):
        return
    name = DigestChoice.objects.filter(user=user).values_list("time_zone", flat=True).first()
    remember_time_zone(request, name or "")
