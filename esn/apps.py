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

        # The side cards kept per person (discovery.suggestions): what may no longer be shown
        # leaves them on everyone's next request.
        from django.db.models.signals import post_delete, post_save

        from discovery.suggestions import forget_cards
        from groups.models import Group
        from hashtags.models import TaggedPost
        from people.models import User
        from posts.models import Post

        for model in (Post, TaggedPost, Group, User):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_cards, sender=model, dispatch_uid=f"cards-{model.__name__}-{signal}"
                )
