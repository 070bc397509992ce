"""Plan review tests run background tasks eagerly and send texts to a recording backend."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from tests.notify.backends import FailingSmsBackend, RecordingSmsBackend


@pytest.fixture(autouse=True)
def _eager_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.RecordingSmsBackend"
    settings.KETACARE_BASE_URL = "http://testserver"
    RecordingSmsBackend.sent.clear()
    FailingSmsBackend.calls = 0
    cache.clear()  # the link guess counter lives in the cache
