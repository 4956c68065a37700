from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "digests"
    verbose_name = "Notifications and digests"

    def ready(self) -> None:
        # Recorded inbox events go to a worker right after the commit (digests.services
        # never imports its own tasks; this is where the two meet).
        from digests import services, tasks

        services.hand_to_worker = tasks.deliver_inbox_event.delay
