"""Django admin speaks the admin's language only where our models give it words to translate:
a field without a marked label shows its Python name ("created_at" becomes "Created at") in
English to a Dutch or German admin. These tests find any field, model, app or admin column of
ours that has no marked label; `make lint` then finds any marked label the catalogs lack."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin import site as admin_site
from django.contrib.admin.utils import label_for_field
from django.utils.functional import Promise

# Every app whose code lives in this repository (not in the virtualenv).
OUR_APPS = {
    config.label
    for config in apps.get_app_configs()
    if Path(config.path).is_relative_to(settings.BASE_DIR)
    and not Path(config.path).is_relative_to(Path(settings.BASE_DIR) / ".venv")
}


def our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


def test_every_app_of_ours_has_a_translated_name():
    unmarked = [
        config.label
        for config in apps.get_app_configs()
        if config.label in OUR_APPS and not isinstance(config.verbose_name, Promise)
    ]
    assert unmarked == []


def test_every_model_of_ours_has_translated_singular_and_plural_names():
    unmarked = [
        m._meta.label
        for m in our_models()
        # Django's default plural appends an "s" to the singular: English in every language.
        if not isinstance(m._meta.verbose_name, Promise)
        or "verbose_name_plural" not in m._meta.original_attrs
    ]
    assert unmarked == []


def test_every_field_of_ours_has_a_translated_label():
    unmarked = [
        f"{model._meta.label}.{field.name}"
        for model in our_models()
        for field in model._meta.get_fields(include_parents=False)
        # The id column and reverse relations carry no label of ours.
        if not field.auto_created
        and (field.concrete or field.many_to_many)
        and field.model is model
        and not isinstance(field.verbose_name, Promise)
    ]
    assert unmarked == []


@pytest.mark.parametrize(
    "model_admin",
    [a for m, a in admin_site._registry.items() if m._meta.app_label in OUR_APPS],
    ids=lambda a: a.model._meta.label,
)
def test_every_admin_column_and_filter_of_ours_has_a_translated_heading(model_admin, rf, admin):
    request = rf.get("/admin/")
    request.user = admin
    names = [
        *model_admin.get_list_display(request),
        *(f for f in model_admin.get_list_filter(request) if isinstance(f, str)),
    ]
    unmarked = [
        name
        for name in names
        # __str__ is headed by the model's own (tested) name; "ID" reads the same everywhere.
        if name not in ("__str__", "id")
        and not isinstance(label_for_field(name, model_admin.model, model_admin), Promise)
    ]
    assert unmarked == []
