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

        # The inbox badge kept per person (digests.selectors.unread_count): a row written
        # through save() moves its recipient's number on; a change to what rows are about
        # (a post edited or removed, a comment removed, a group, a membership, an invitation,
        # a block, a person's standing) moves everyone's.
        from digests.models import InboxItem
        from groups.models import Invitation, Membership
        from people.models import Block
        from posts.models import Comment

        for signal in (post_save, post_delete):
            signal.connect(_forget_badge, sender=InboxItem, dispatch_uid=f"badge-row-{signal}")
            for model in (Post, Comment, Group, Membership, Invitation, Block, User):
                signal.connect(
                    _forget_badges,
                    sender=model,
                    dispatch_uid=f"badges-{model.__name__}-{signal}",
                )


# What of a person decides what others' inbox rows about them show, and what they may see.
BADGE_PERSON_FIELDS = frozenset(
    {
        "is_active",
        "is_guest",
        "is_staff",
        "is_superuser",
        "guest_expires_on",
        "department",
        "location",
    }
)


def _forget_badge(sender, instance, **kwargs) -> None:
    from esn import generations

    generations.move_on_after_commit(generations.inbox_of(instance.recipient_id))


def _forget_badges(sender, **kwargs) -> None:
    from esn import generations
    from people.models import User
    from posts.models import Comment, Post

    if kwargs.get("created") and sender in (Post, Comment):
        return  # a new post or comment hides no row
    fields = kwargs.get("update_fields")
    if sender is User and fields is not None and not BADGE_PERSON_FIELDS & set(fields):
        return  # a sign-in (last_login), a visit (last_seen_at), a new language
    generations.move_on_after_commit(generations.INBOX_SUBJECTS)
