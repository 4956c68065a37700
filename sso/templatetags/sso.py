from django import template

from sso.provider import provider_name, sso_enabled

register = template.Library()


@register.simple_tag
def sso_provider() -> str:
    """The provider's name for the sign-in button, or "" when single sign-on is off."""
    return provider_name() if sso_enabled() else ""
