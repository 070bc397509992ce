"""Rate-limit counters must be shared by every worker process (and machine, with Redis)."""

from __future__ import annotations

import importlib
import os

import pytest

import ketacare.settings as module


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("", "django.core.cache.backends.filebased.FileBasedCache"),
        ("redis://127.0.0.1:6379/0", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_cache_backend_follows_ketacare_cache_url(url: str, backend: str) -> None:
    os.environ["KETACARE_CACHE_URL"] = url
    try:
        assert importlib.reload(module).CACHES["default"]["BACKEND"] == backend
    finally:
        del os.environ["KETACARE_CACHE_URL"]
        importlib.reload(module)
