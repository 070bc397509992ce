"""The plan's sign note and the reasons for a status or phase change: at most 2000 characters
(10,000 were stored). A longer one is refused under its field in words, the text typed kept,
nothing changed; 2000 exactly is accepted."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.plans.models import PlanRevision, TreatmentPlan
from tests.plans.plan_helpers import active, draft, eligible

pytestmark = pytest.mark.django_db

LONG = "Discussed at length. " + "z" * 9979  # 10,000 characters
TOO_LONG = "Please keep this to 2000 characters or fewer: it has 10000."


def _url(plan: TreatmentPlan, tail: str) -> str:
    return f"/patients/{plan.patient_id}/plan/{plan.pk}/{tail}"


def _refused(response: Any, form: str, field: str) -> None:
    assert response.status_code == 400
    assert response.context[form].errors[field] == [TOO_LONG]
    page = response.content.decode()
    assert TOO_LONG in page and LONG in page


def test_a_sign_note_too_long_is_refused_under_the_field(world: Any, as_user: Any) -> None:
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    _refused(client.post(_url(plan, "sign/"), {"note": LONG}), "sign_form", "note")
    plan.refresh_from_db()
    assert plan.status == "draft" and not PlanRevision.objects.filter(plan=plan).exists()
    assert client.post(_url(plan, "sign/"), {"note": "n" * 2000}).status_code == 302
    assert PlanRevision.objects.get(plan=plan).reason == "n" * 2000


def test_status_and_phase_reasons_too_long_are_refused(world: Any, as_user: Any) -> None:
    plan = active(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    before = plan.revision
    status = client.post(_url(plan, "status/"), {"status": "on_hold", "reason": LONG})
    _refused(status, "status_form", "reason")
    phase = client.post(_url(plan, "phase/"), {"phase": "maintenance", "reason": LONG})
    _refused(phase, "phase_form", "reason")
    plan.refresh_from_db()
    assert (plan.status, plan.revision) == ("active", before) and plan.phase != "maintenance"
    ok = client.post(_url(plan, "status/"), {"status": "on_hold", "reason": "r" * 2000})
    assert ok.status_code == 302
