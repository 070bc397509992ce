"""The pre-dose checklist's answers sit side by side as 44 px choices: Django renders them as
divs, so the old rule for a ul never applied and each Yes/No stacked with a 13 px radio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ketacare
from tests.treatments.session_helpers import ready_session

pytestmark = pytest.mark.django_db

CSS = Path(ketacare.__file__).parent / "core" / "static" / "ketacare" / "treatments.css"


def test_checklist_answers_are_side_by_side_44px_choices(world: Any, as_user: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    page = as_user(world.nurse_a).get(url).content.decode()
    assert '<fieldset class="ts-check"><legend>' in page
    assert '<div id="id_identity"><div>' in page  # the shape the rule targets
    css = CSS.read_text()
    assert ".ts-check > div[id] { display: flex;" in css
    assert ".ts-check > div[id] label { min-height: 44px;" in css
