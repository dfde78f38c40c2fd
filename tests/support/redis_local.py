"""The local Redis the hub tests use, and whether it is there to use."""

from __future__ import annotations

import os

import redis

REDIS_URL = os.environ.get("PAGEGUIDE_TEST_REDIS", "redis://127.0.0.1:6379/0")
UNREACHABLE = f"Redis is not reachable at {REDIS_URL} (.ci/run starts it)"


def redis_reachable(url: str = REDIS_URL) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False
