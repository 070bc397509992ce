"""On a risk flag's page the "action taken" choices a nurse taps to acknowledge are rows of at
least 44 px (they were 29 px)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ketacare
from tests.safety.helpers import raise_flag

pytestmark = pytest.mark.django_db

CSS = Path(ketacare.__file__).parent / "core" / "static" / "ketacare" / "safety.css"


def test_the_flag_action_choices_are_44px_rows(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a)
    page = as_user(world.nurse_a).get(f"/safety/flags/{flag.pk}/").content.decode()
    assert 'class="flag-form"' in page and 'type="radio" name="action"' in page
    rule = next(
        line
        for line in CSS.read_text().splitlines()
        if line.startswith(".flag-form .field div > div > label {")
    )
    assert "min-height: 44px" in rule
