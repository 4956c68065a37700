from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from discovery import views as discovery_views
from esn import pickers, views
from people import views as people_views
from people.forms import SignInForm
from posts import views as post_views
from twofactor import views as twofactor_views

urlpatterns = [
    path("", post_views.home, name="home"),
    path("all/", post_views.all_posts, name="all"),
    path("questions/", post_views.questions, name="questions"),
    path("discover/", discovery_views.discover, name="discover"),
    path("posts/", include("posts.urls")),
    path("people/", include("people.urls")),
    path("hashtags/", include("hashtags.urls")),
    # Community health: /analytics/, a group's insights (/groups/<slug>/insights/) and
    # /measurement/; before the groups app so its slug pattern does not take "insights".
    path("", include("analytics.urls")),
    path("groups/", include("groups.urls")),
    path("search/", views.search, name="search"),
    path("pick/people/", pickers.people, name="pick_people"),
    path("pick/hashtags/", pickers.hashtags, name="pick_hashtags"),
    path("pick/search/", pickers.search, name="pick_search"),
    path("", include("digests.urls")),
    path("welcome/", include("welcome.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # Pages without our <link rel="icon"> (Django admin) make browsers ask for this.
    path("favicon.ico", views.favicon),
    path(
        "accounts/login/",
        # Django's LoginView, with the code step for two-step sign-in (twofactor.views).
        twofactor_views.SignInView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    # The second step after a correct password, for people with two-step sign-in on.
    path("accounts/login/code/", twofactor_views.sign_in_code, name="sign_in_code"),
    path("two-step/", include("twofactor.urls")),
    path("accounts/logout/", people_views.SignOutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        people_views.ChangePasswordView.as_view(),
        name="password_change",
    ),
    # Reset emails limited per account; a new password lifts the sign-in lock (people.views).
    path(
        "accounts/password_reset/",
        people_views.ResetPasswordView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        people_views.ResetPasswordConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # The sign-in page's language switch: Django's view, keeping the choice in a cookie
    # (esn.middleware.LanguageMiddleware reads it for visitors who are not signed in).
    path("accounts/language/", set_language, name="set_language"),
    # The rest of Django's account pages, with templates/registration/ in the site layout.
    path("accounts/", include("django.contrib.auth.urls")),
    # Single sign-on (OpenID Connect); register <SITE_URL>/oidc/callback/ at the provider.
    path("oidc/", include("sso.urls")),
    # Provisioning (SCIM 2.0) for the identity provider's directory; bearer token, no session.
    path("scim/v2/", include("scim.urls")),
    # Django admin's sign-in with the same code step as ours (before admin's own URLs).
    path("admin/login/", twofactor_views.admin_sign_in),
    path("admin/", admin.site.urls),
]

admin.site.site_header = _("ESN administration")
admin.site.site_title = _("ESN admin")

handler400 = "esn.views.bad_request"
