"""Measures tests run background tasks eagerly (django-tasks ImmediateBackend) and send text
messages to a recording backend; helpers for episodes and self-report links."""

from __future__ import annotations

from datetime import date
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
    cache.clear()  # the self-report guess counter lives in the cache


@pytest.fixture
def open_episode(world: Any) -> Any:
    """open_episode(patient, started_on=today) → an active EpisodeOfCare."""
    from ketacare.measures.models import EpisodeOfCare

    def _open(patient: Any = None, started_on: date | None = None) -> EpisodeOfCare:
        data: dict[str, Any] = {"patient": patient or world.patient_a, "title": "IV ketamine"}
        if started_on is not None:
            data["started_on"] = started_on
        return EpisodeOfCare.objects.create(**data)

    return _open
