"""The status form names every problem at once in the page's words ("Move to", "Reason"): no
status chosen and a too-long reason are both shown (only "This field is required." was, with
no field named); the reason typed is kept and nothing changes."""

from __future__ import annotations

from typing import Any

from tests.intake.intake_helpers import make_request


def test_the_status_form_names_every_problem(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    refused = as_user(world.intake_a).post(
        f"/intake/{request.pk}/status/",
        {"from_status": "new", "status": "", "reason": "<i>why</i>" + "x" * 600},
    )
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "Move to: This field is required." in html
    assert "Reason: Ensure this value has at most 500 characters" in html
    assert "&lt;i&gt;why&lt;/i&gt;" in html and "<i>why</i>" not in html
    request.refresh_from_db()
    assert request.status == "new" and not request.status_changes.exists()
