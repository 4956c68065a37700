"""Form fields shared by the apps' forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms


class _ListedChoices(forms.models.ModelChoiceIterator):
    """The choices read with one plain query. Django's own reads them with `iterator()`,
    which on PostgreSQL opens a server-side cursor (DECLARE, FETCH, CLOSE: three round trips,
    and WITH HOLD outside a transaction) for what is at most a few hundred rows."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoices
