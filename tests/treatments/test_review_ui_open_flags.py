"""The open risk flags list keeps a flag's raised date and time on one line on a tablet
("2026-12-03 07:44" wrapped to "2026-12-" / "03 07:44" at 768 px)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.safety.helpers import raise_flag

pytestmark = pytest.mark.django_db


def test_the_raised_time_of_an_open_flag_does_not_wrap(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a)
    body = as_user(world.nurse_a).get("/safety/").content.decode()
    raised = timezone.localtime(flag.raised_at).strftime("%Y-%m-%d %H:%M")
    assert f'<td class="nowrap" data-testid="flag-raised">{raised}</td>' in body
