from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WelcomeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "welcome"
    verbose_name = _("First day and announcements")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from welcome.models import Announcement
        from welcome.selectors import forget_pinned

        # Admin edits and a post's deletion (which takes its announcement with it) too.
        post_save.connect(forget_pinned, sender=Announcement, dispatch_uid="welcome-pinned-save")
        post_delete.connect(
            forget_pinned, sender=Announcement, dispatch_uid="welcome-pinned-delete"
        )
