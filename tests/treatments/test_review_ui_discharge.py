"""A refused discharge is seen without scrolling: the discharge form posts to the page's
discharge section and the refusal takes the focus, so the nurse who tapped "Discharge" at the
foot of a long session page lands on what is missing, not at the top of the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.treatments.session_helpers import dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def test_a_refused_discharge_opens_on_the_refusal(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    nurse = as_user(world.nurse_a)
    infused(session)
    nurse.post(url + "end-infusion/")
    page = nurse.get(url).content.decode()
    assert f'action="{url}discharge/#discharge"' in page
    refused = nurse.post(url + "discharge/", {"escort_confirmed": "on"})
    assert refused.status_code == 400
    assert (
        '<div class="alert alert-danger" role="alert" tabindex="-1" data-autofocus '
        'data-testid="discharge-refused">'
    ) in refused.content.decode()


def test_chair_refusals_use_an_alert_class_the_stylesheet_colours() -> None:
    """`alert-error` has no rule in any stylesheet: a refusal in it printed black on white."""
    import ketacare

    root = Path(ketacare.__file__).parent
    css = (root / "core" / "static" / "ketacare" / "app.css").read_text()
    assert ".alert-danger {" in css and ".alert-error" not in css
    for name in ("session.html", "limits.html", "refused.html"):
        template = (root / "templates" / "treatments" / name).read_text()
        assert "alert-error" not in template and "alert alert-danger" in template, name
