"""A Redis client for work that must never wait on Redis: counting a visit inside a request
(analytics.visits), counting a task or an email for /metrics (esn.counters).

The client gives up after `timeout` and tries once (redis-py would retry and multiply the
wait). After an error the caller reports it with `trip`: the client is dropped and nothing
is tried for `pause` seconds, so a Redis outage costs each process one timeout per pause,
not one per request. State is shared by a process's threads; each update is one assignment,
and a race at worst makes one more attempt.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis


def quick_client(url: str, timeout: float) -> redis.Redis:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def close_quietly(client: redis.Redis | None) -> None:
    # Closing a broken client may fail as well; there is nothing more to do about it.
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


class Breaker:
    """`factory(url)` makes the client (with the owner's timeout) and `clock()` tells the
    time: the owner passes callables that look its own module's functions up at each use, so
    tests can replace them. Warnings go to the owner's logger."""

    def __init__(
        self,
        what: str,
        *,
        pause: float,
        factory: Callable[[str], redis.Redis],
        clock: Callable[[], float],
        logger: logging.Logger,
    ) -> None:
        self.what = what
        self.pause = pause
        self._factory = factory
        self._clock = clock
        self._log = logger
        self._client: redis.Redis | None = None
        self._url = ""
        self._paused_until = 0.0

    def paused(self) -> bool:
        return self._clock() < self._paused_until

    def client(self, url: str) -> redis.Redis | None:
        """The client for `url`, or None without a URL or during a pause."""
        if not url or self.paused():
            return None
        if self._client is None or self._url != url:
            self._client = self._factory(url)
            self._url = url
        return self._client

    def trip(self, error: BaseException) -> None:
        """Stop trying for `pause` seconds; the next try starts from a fresh connection."""
        self._paused_until = self._clock() + self.pause
        client, self._client = self._client, None
        self._log.warning(
            "%s is off for %.0f s after a Redis error (%s: %s)",
            self.what,
            self.pause,
            type(error).__name__,
            error,
        )
        close_quietly(client)

    def reset(self) -> None:
        self._paused_until = 0.0
        client, self._client, self._url = self._client, None, ""
        close_quietly(client)
