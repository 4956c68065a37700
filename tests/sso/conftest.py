from tests.sso.provider import oidc_provider, oidc_server  # noqa: F401
