"""esn/form_renderer.py writes a few widget templates out in Python: its markup must be
Django's, byte for byte, for our pages and for the awkward values a form can hold."""

from __future__ import annotations

import datetime
import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from esn.form_renderer import FastWidgetRenderer
from groups.models import Group
from tests.factories import DepartmentFactory, UserFactory, make_post
from tests.groups.helpers import add_member, make_group


class Everything(forms.Form):
    text = forms.CharField(
        label="Text", widget=forms.TextInput(attrs={"placeholder": 'say "hi" <b>', "data-x": 3})
    )
    flags = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"autofocus": True, "disabled": False})
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    number = forms.IntegerField()
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    secret = forms.CharField(widget=forms.HiddenInput)
    ok = forms.BooleanField(required=False)
    mail = forms.EmailField()
    pick = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("a&b", "A & B"),
            ("lazy", gettext_lazy("Newest")),
            ("safe", mark_safe("<i>safe</i>")),  # noqa: S308 - a test of escaping
            ("3", "Three"),
        ]
    )
    numbers = forms.TypedChoiceField(coerce=int, choices=[(1, "One"), (2, "Two")])
    grouped = forms.ChoiceField(choices=[("Fruit", [("apple", "Apple")]), ("x", "X")])
    radio = forms.ChoiceField(widget=forms.RadioSelect, choices=[("a", "A"), ("b", "B")])


VALUES = [
    {},
    {
        "text": '<script>alert("x")</script>',
        "body": "line one\n<b>two</b> & 'three'",
        "number": "12345",
        "day": "2026-12-01",
        "secret": "a\"b'c",
        "ok": "on",
        "mail": "not an address",
        "pick": "a&b",
        "numbers": "2",
        "grouped": "apple",
        "radio": "b",
    },
    {"pick": "safe", "body": "", "number": "x", "day": "yesterday", "numbers": "7"},
]


def _both(form_class, **kwargs) -> tuple[str, str]:
    slow = form_class(renderer=DjangoTemplates(), **kwargs)
    fast = form_class(renderer=FastWidgetRenderer(), **kwargs)
    return (
        "".join(str(field) for field in slow),
        "".join(str(field) for field in fast),
    )


@pytest.mark.parametrize("data", VALUES, ids=["unbound", "hostile values", "invalid values"])
def test_every_widget_renders_as_django_renders_it(data):
    slow, fast = _both(Everything, data=data or None)
    assert fast == slow


def test_initial_values_of_other_types_render_as_django_renders_them():
    initial = {"day": datetime.date(2026, 12, 1), "number": 1234567, "text": 5, "ok": True}
    slow, fast = _both(Everything, initial=initial)
    assert fast == slow


def test_the_common_widgets_skip_the_templates(monkeypatch):
    used: list[str] = []
    render = DjangoTemplates.render

    def recorded(self, template_name, context, request=None):
        used.append(template_name)
        return render(self, template_name, context, request=request)

    monkeypatch.setattr(DjangoTemplates, "render", recorded)
    form = Everything(renderer=FastWidgetRenderer())
    for name in ("text", "body", "number", "day", "secret", "ok", "mail", "pick", "numbers"):
        str(form[name])
    assert used == []
    # Named option groups and radio buttons are left to Django's templates.
    str(form["grouped"])
    str(form["radio"])
    assert "django/forms/widgets/select.html" in used
    assert "django/forms/widgets/radio.html" in used


def test_the_site_uses_it():
    assert isinstance(get_default_renderer(), FastWidgetRenderer)


CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@pytest.fixture
def pages(db, admin):
    """Pages with forms, as a member and as an admin: (client user, path)."""
    member = UserFactory(username="mia.member", department=DepartmentFactory(name="Sales & Co"))
    owner = UserFactory(username="olaf.owner")
    group = make_group(owner, Group.Kind.PRIVATE, name="Tea <club>")
    add_member(group, owner, member)
    post = make_post(member, "A post with a comment form", group=group)
    return [
        (member, reverse("home")),
        (member, reverse("search") + "?q=post&group=" + group.slug + "&since=2026-01-01"),
        (member, reverse("search") + "?q=post&since=not-a-date&author=nobody"),
        (member, reverse("posts:detail", args=[post.pk])),
        (member, reverse("posts:edit", args=[post.pk])),
        (member, reverse("people:edit_profile")),
        (member, reverse("people:languages")),
        (member, reverse("people:directory") + "?department=1"),
        (member, reverse("digests:settings")),
        (owner, reverse("groups:edit", args=[group.slug])),
        (owner, reverse("groups:members", args=[group.slug])),
        (member, reverse("groups:create")),
        (admin, reverse("admin:people_user_change", args=[member.pk])),
        (admin, reverse("admin:people_user_add")),
        (admin, reverse("admin:digests_sitesettings_changelist")),
    ]


@pytest.fixture
def last_login_kept():
    """Signing in saves `last_login` to the second, which the admin's user page shows: two
    renders a second apart would differ there and nowhere else."""
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    yield
    user_logged_in.connect(update_last_login, dispatch_uid="update_last_login")


def test_our_pages_are_the_same_with_either_renderer(client, pages, settings, last_login_kept):
    def render_all(renderer: str) -> list[str]:
        settings.FORM_RENDERER = renderer
        get_default_renderer.cache_clear()
        out = []
        for user, path in pages:
            client.force_login(user)
            response = client.get(path, follow=True)
            assert response.status_code == 200, path
            out.append(CSRF.sub(r"\1-", response.content.decode()))
        return out

    try:
        slow = render_all("django.forms.renderers.DjangoTemplates")
        fast = render_all("esn.form_renderer.FastWidgetRenderer")
    finally:
        get_default_renderer.cache_clear()
    for (_user, path), before, after in zip(pages, slow, fast, strict=True):
        assert after == before, path
        assert "<input" in after or "<select" in after, path
