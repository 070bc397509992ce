"""Notifications are delivered eagerly in tests, through a recording SMS backend."""

from __future__ import annotations

from typing import Any

import pytest

from tests.notify.backends import FailingSmsBackend, RecordingSmsBackend


@pytest.fixture(autouse=True)
def _eager_notifications(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.RecordingSmsBackend"
    RecordingSmsBackend.sent.clear()
    FailingSmsBackend.calls = 0
