"""Intake tests: eager background delivery (so acknowledgement emails land in mail.outbox once
the transaction commits) and a clean rate-limit cache. Helpers are in intake_helpers.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _intake_settings(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.KETACARE_BASE_URL = "http://testserver"
    settings.KETACARE_CONSULTATION_RATE_LIMIT = 5
    cache.clear()  # rate-limit counters live in the cache
