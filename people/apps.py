from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # A first sign-in gives someone who never chose a language their browser's. "First"
        # is `last_login` still empty, so this must run before Django's update_last_login
        # fills it in: that receiver is taken off and connected again after this one.
        put_back = user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(_language_at_first_sign_in, dispatch_uid="people-first-language")
        if put_back:
            user_logged_in.connect(update_last_login, dispatch_uid="update_last_login")


def _language_at_first_sign_in(sender, request, user, **kwargs) -> None:
    """Our sign-in page, /admin/login/ and single sign-on all send user_logged_in."""
    if request is None or user.last_login is not None or getattr(user, "language", None) != "":
        return
    from people.selectors import requested_language
    from people.services import adopt_first_language

    language = requested_language(request)
    if language:
        adopt_first_language(person=user, language=language)
