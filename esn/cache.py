"""The site's shared Redis cache (CACHE_USE_REDIS): Django's, with one Redis client per
connection pool instead of one per operation, and calm when Redis is away (issue 16).

Django's RedisCache raises on every call while Redis is down, and everything the cache holds
is also in PostgreSQL or can be computed again (sessions are `cached_db`, the site's
settings, side cards, rate-limit counters). So here a Redis error is a cache miss: a read
returns the default, a write does nothing, a counter that cannot be counted raises the
ValueError of a missing key (callers already handle it). After an error the process leaves
Redis alone for PAUSE seconds, so an outage costs each process one failed attempt per pause
instead of one per call; redis-py's own retries are off, so a Redis that hangs costs one
socket timeout, not several.

A key written or deleted while Redis was away may still hold its old value there when it
comes back (a session ended by signing out, the site's settings just changed): such keys
are remembered, per process and up to FORGET_MAX of them, and deleted before anything else
once Redis answers again. bench/faults.py stops Redis under a running site to check all this.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

log = logging.getLogger(__name__)

PAUSE = 10.0
FORGET_MAX = 10_000

# Patched by tests to move time on.
_clock = time.monotonic


class _State:
    """Shared by every thread's cache object in the process (Django makes one per thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paused_until = 0.0
        self.forget: set[str] = set()

    def paused(self) -> bool:
        return _clock() < self.paused_until

    def trip(self, error: BaseException) -> None:
        with self.lock:
            first = not self.paused()
            self.paused_until = _clock() + PAUSE
        if first:
            log.warning(
                "The cache is off for %.0f s after a Redis error (%s: %s)",
                PAUSE,
                type(error).__name__,
                error,
            )

    def remember(self, keys) -> None:
        with self.lock:
            for key in keys:
                if len(self.forget) >= FORGET_MAX:
                    return
                self.forget.add(key)

    def take_forgotten(self) -> list[str]:
        with self.lock:
            keys, self.forget = list(self.forget), set()
        return keys


_state = _State()


def _errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


class CalmRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options) -> None:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        # One redis.Redis per connection pool, made once, instead of a new one for every
        # operation as Django does (a client is cheap but not free, and is thread-safe).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def _calm(self, call, default, *, written=()):
        """Run `call()` against Redis, or return `default` when Redis is away; `written` are
        the keys the call would have changed."""
        if _state.paused():
            _state.remember(written)
            return default
        try:
            stale = _state.take_forgotten()
            if stale:
                try:
                    super().delete_many(stale)
                except BaseException:
                    _state.remember(stale)
                    raise
            return call()
        except _errors() as exc:
            _state.trip(exc)
            _state.remember(written)
            return default

    def add(self, key, value, timeout):
        return self._calm(lambda: super(CalmRedisCacheClient, self).add(key, value, timeout),
                          False, written=[key])  # fmt: skip

    def get(self, key, default):
        return self._calm(lambda: super(CalmRedisCacheClient, self).get(key, default), default)

    def set(self, key, value, timeout):
        self._calm(lambda: super(CalmRedisCacheClient, self).set(key, value, timeout), None,
                   written=[key])  # fmt: skip

    def touch(self, key, timeout):
        return self._calm(lambda: super(CalmRedisCacheClient, self).touch(key, timeout), False)

    def delete(self, key):
        return self._calm(lambda: super(CalmRedisCacheClient, self).delete(key), False,
                          written=[key])  # fmt: skip

    def get_many(self, keys):
        return self._calm(lambda: super(CalmRedisCacheClient, self).get_many(keys), {})

    def has_key(self, key):
        return self._calm(lambda: super(CalmRedisCacheClient, self).has_key(key), False)

    def incr(self, key, delta):
        missing = object()
        value = self._calm(lambda: super(CalmRedisCacheClient, self).incr(key, delta), missing,
                           written=[key])  # fmt: skip
        if value is missing:
            raise ValueError(f"Key '{key}' not found (the cache is away)")
        return value

    def count(self, key, timeout):
        """One more on a counter living `timeout` seconds from its first count: one round
        trip (made if missing, then incremented, pipelined), where `add` and `incr` are three
        (incr asks whether the key exists first)."""

        def call():
            pipe = self.get_client(key, write=True).pipeline(transaction=False)
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return pipe.execute()[1]

        missing = object()
        value = self._calm(call, missing, written=[key])
        if value is missing:
            raise ValueError(f"Key '{key}' not counted (the cache is away)")
        return value

    def set_many(self, data, timeout):
        self._calm(lambda: super(CalmRedisCacheClient, self).set_many(data, timeout), None,
                   written=list(data))  # fmt: skip

    def delete_many(self, keys):
        self._calm(lambda: super(CalmRedisCacheClient, self).delete_many(keys), None,
                   written=list(keys))  # fmt: skip

    def clear(self):
        return self._calm(lambda: super(CalmRedisCacheClient, self).clear(), False)


class RedisCache(DjangoRedisCache):
    """Django's RedisCache with the client above: calm when Redis is away, one client per
    connection pool."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = CalmRedisCacheClient

    def count(self, key, timeout) -> int:
        """See CalmRedisCacheClient.count; esn.ratelimit counts every request with it."""
        key = self.make_and_validate_key(key)
        return self._cache.count(key, self.get_backend_timeout(timeout))  # type: ignore[attr-defined]


def count(key: str, timeout: int) -> int:
    """One more on the counter `key` in the default cache, which lives `timeout` seconds from
    its first count, and the count now: one round trip on Redis (RedisCache.count), `add`
    and `incr` on any other cache (the tests' local memory). Raises when it cannot count."""
    from django.core.cache import caches

    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.count(key, timeout)
    backend.add(key, 0, timeout=timeout)
    return backend.incr(key)
