"""Pressing a plan page's button twice acts once, and the repeat is not refused as if it had
failed: creating a plan (was "This patient already has an open plan"), signing it (was "Only a
draft plan can be signed"), changing its status or its phase (was refused as a change to what
it already is), and saving a new protocol version (was "Nothing was changed"). The second press
goes to the plan (or the protocol's history), saying "Already saved"."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.plans.models import ClinicProtocol, PlanRevision, TreatmentPlan
from tests.plans.plan_helpers import active, draft, eligible
from tests.submission_helpers import form_keys, post_twice

pytestmark = pytest.mark.django_db


def _url(plan: TreatmentPlan, tail: str = "") -> str:
    return f"/patients/{plan.patient_id}/plan/{plan.pk}/{tail}"


def test_creating_a_plan_twice_opens_the_one_draft(world: Any, as_user: Any) -> None:
    eligible(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    url = f"/patients/{world.patient_a.pk}/plan/new/"
    (key,) = form_keys(client.get(url))
    again = post_twice(client, url, {"protocol": "iv_ketamine_depression", "submission_key": key})
    plan = TreatmentPlan.objects.get(patient=world.patient_a)
    assert again["Location"] == _url(plan) + "#personalise"


def test_signing_twice_signs_once(world: Any, as_user: Any) -> None:
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    keys = form_keys(client.get(_url(plan)))
    assert len(keys) == 1  # the sign form; editing a draft is an update
    post_twice(client, _url(plan, "sign/"), {"note": "", "submission_key": keys[0]})
    assert PlanRevision.objects.filter(plan=plan).count() == 1


def test_status_and_phase_changed_twice_make_one_revision_each(world: Any, as_user: Any) -> None:
    plan = active(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    status_key, phase_key = form_keys(client.get(_url(plan)))
    post_twice(
        client,
        _url(plan, "phase/"),
        {"phase": "maintenance", "reason": "Responder", "submission_key": phase_key},
    )
    post_twice(
        client,
        _url(plan, "status/"),
        {"status": "on_hold", "reason": "Travel", "submission_key": status_key},
    )
    plan.refresh_from_db()
    assert (plan.status, plan.phase, plan.revision) == ("on_hold", "maintenance", 3)
    assert PlanRevision.objects.filter(plan=plan).count() == 3


def test_a_protocol_version_saved_twice_is_stored_once(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    url = "/protocols/iv_ketamine_depression/edit/"
    page = client.get(url)
    (key,) = form_keys(page)
    form = page.context["form"]
    initial = {n: form.initial.get(n, "") for n in form.fields}
    data = {n: ("" if value is None else value) for n, value in initial.items()}
    data.update(
        {"phases__induction__frequencies": "3/7", "reason": "Mon/Wed/Fri", "submission_key": key}
    )
    again = post_twice(client, url, data)
    assert again["Location"] == "/protocols/iv_ketamine_depression/#history"
    assert ClinicProtocol.objects.filter(clinic=world.clinic_a).count() == 1
