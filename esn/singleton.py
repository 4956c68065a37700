"""Site settings kept as data (ARCHITECTURE.md: defaults are data): one row per kind, edited
in Django admin, read on hot paths through `current()` without asking the database each time."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from django.core.cache import cache
from django.db import models


class SiteSettingsRow(models.Model):
    """The one row (pk 1) of a kind of site settings. `current()` is cached for five minutes
    under CACHE_KEY and dropped when an admin saves (with CACHE_USE_REDIS, for every process
    at once); an empty CACHE_KEY reads the row each time. `load()` is the uncached read, for
    background work that must see what another process just saved."""

    CACHE_KEY: ClassVar[str] = ""
    CACHE_SECONDS: ClassVar[int] = 300

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
        if self.CACHE_KEY:
            cache.delete(self.CACHE_KEY)

    @classmethod
    def load(cls) -> Self:
        return cls.objects.get_or_create(pk=1)[0]

    @classmethod
    def current(cls) -> Self:
        if not cls.CACHE_KEY:
            return cls.load()
        found = cache.get(cls.CACHE_KEY)
        if found is None:
            found = cls.load()
            cache.set(cls.CACHE_KEY, found, cls.CACHE_SECONDS)
        return found
