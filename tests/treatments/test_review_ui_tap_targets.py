"""Key taps at the chair are at least 44 px: the escort checkbox that discharge needs is a
checkbox-and-words row of 44 px, not a 22 px box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ketacare
from ketacare.treatments import actions
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db

CSS = Path(ketacare.__file__).parent / "core" / "static" / "ketacare" / "treatments.css"


def test_the_escort_checkbox_row_is_a_44px_tap_target(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    actions.do_end_infusion(actor(world.nurse_a), infused(session))
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    page = as_user(world.nurse_a).get(url).content.decode()
    assert "ketacare/treatments.css" in page
    assert '<div class="field check">' in page and 'name="escort_confirmed"' in page
    css = CSS.read_text()
    assert (
        ".card .field.check label { display: inline-flex; align-items: center; min-height: 44px;"
        in css
    )
    assert '.card .field.check input[type="checkbox"] { width: 28px; height: 28px;' in css
