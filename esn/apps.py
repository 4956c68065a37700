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

        # What is kept per person from what others may see (Home's side cards, the inbox
        # badge): a change to a post, a hashtag link, a comment, a group, a membership, an
        # invitation, a block or a person's standing is read again on everyone's next
        # request; a row of one inbox, on its recipient's. (Writes by update() move them on
        # where they are made: people.services, digests.services.)
        from django.db.models.signals import post_delete, post_save

        from digests.models import InboxItem
        from groups.models import Group, Invitation, Membership
        from hashtags.models import TaggedPost
        from people.models import Block, User
        from posts.models import Comment, Post

        for signal in (post_save, post_delete):
            signal.connect(_forget_inbox, sender=InboxItem, dispatch_uid=f"inbox-row-{signal}")
            for model in (Post, TaggedPost, Comment, Group, Membership, Invitation, Block, User):
                signal.connect(
                    _forget_visible, sender=model, dispatch_uid=f"visible-{model.__name__}-{signal}"
                )

        # Who holds which permission (kept per person by people.backends.AccountBackend).
        from django.contrib.auth.models import Group as PermissionGroup
        from django.contrib.auth.models import Permission
        from django.db.models.signals import m2m_changed

        for through in (
            User.user_permissions.through,
            User.groups.through,
            PermissionGroup.permissions.through,
        ):
            m2m_changed.connect(
                _forget_permissions, sender=through, dispatch_uid=f"perms-{through.__name__}"
            )
        for signal in (post_save, post_delete):
            for model in (PermissionGroup, Permission):
                signal.connect(
                    _forget_permissions,
                    sender=model,
                    dispatch_uid=f"perms-{model.__name__}-{signal}",
                )


# What of a person decides whether others may see them or be suggested them, and what they
# may see themselves (a sign-in saves `last_login`, which must not empty everyone's caches).
PERSON_FIELDS = frozenset(
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


def _forget_inbox(sender, instance, **kwargs) -> None:
    from esn import generations

    generations.move_on_after_commit(generations.inbox_of(instance.recipient_id))


def _forget_visible(sender, **kwargs) -> None:
    from esn import generations
    from hashtags.models import TaggedPost
    from people.models import User
    from posts.models import Comment, Post

    if kwargs.get("created") and sender in (Post, TaggedPost, Comment):
        return  # something new only adds; it may wait for what is kept to expire
    fields = kwargs.get("update_fields")
    if sender is User and fields is not None and not PERSON_FIELDS & set(fields):
        return  # a sign-in (last_login), a visit (last_seen_at), a new language
    generations.move_on_after_commit(generations.VISIBLE)


def _forget_permissions(sender, **kwargs) -> None:
    from esn import generations

    if kwargs.get("action", "post_").startswith("post_"):
        generations.move_on_after_commit(generations.PERMISSIONS)
