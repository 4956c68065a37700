from __future__ import annotations

import pytest


@pytest.fixture
def live_redis_url() -> str:
    """REDIS_URL, for tests of the shared Redis cache itself; skipped where none answers."""
    import redis
    from django.conf import settings

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except (redis.RedisError, ValueError):
        pytest.skip("no Redis at REDIS_URL")
    return settings.REDIS_URL
