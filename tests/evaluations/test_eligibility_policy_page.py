"""The clinic admin's eligibility policy page."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.evaluations import actions
from ketacare.evaluations.models import ClinicEligibilityPolicy
from tests.evaluations.evaluation_helpers import actor, evaluation_for

pytestmark = pytest.mark.django_db
URL = "/evaluations/policy/"


def test_admin_makes_current_psychosis_relative_for_iv_racemic(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    page = client.get(URL).content.decode()
    assert 'name="iv_racemic.psychosis_current"' in page
    response = client.post(URL, {"iv_racemic.psychosis_current": "relative"})
    assert response.status_code == 302
    stored = ClinicEligibilityPolicy.objects.get(clinic=world.clinic_a)
    assert stored.changes == {"iv_racemic": {"psychosis_current": "relative"}}
    evaluation = evaluation_for(
        world.prescriber_a, world.patient_a, medical_history=["psychosis_current"]
    )
    decision = actions.do_decide(actor(world.prescriber_a), evaluation)
    severity = {f["code"]: f["severity"] for f in decision.findings}["psychosis_current"]
    assert severity == "relative"
    assert decision.policy_snapshot == stored.changes


def test_admin_cannot_downgrade_an_esketamine_label_hard_stop(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    response = client.post(URL, {"esketamine_nasal.aneurysmal_vascular_disease": "relative"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="policy-error"' in body
    assert "cannot be set below hard_stop for esketamine_nasal" in body
    assert not ClinicEligibilityPolicy.objects.filter(clinic=world.clinic_a).exists()


def test_non_admin_gets_403(world: Any, as_user: Any) -> None:
    for user in (world.prescriber_a, world.nurse_a):
        client = as_user(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"iv_racemic.psychosis_current": "relative"}).status_code == 403
    assert not ClinicEligibilityPolicy.objects.exists()


def test_clinic_b_admin_cannot_see_or_change_clinic_a_policy(world: Any, as_user: Any) -> None:
    from tests.conftest import make_staff

    as_user(world.admin_a).post(URL, {"iv_racemic.psychosis_current": "relative"})
    admin_b = make_staff(world.clinic_b, "admin", "admin@b.test", "Ben Admin")
    client = as_user(admin_b)
    page = client.get(URL).content.decode()
    assert 'tag-warn">changed' not in page  # clinic B still has the defaults
    assert "Alice Admin" not in page
    client.post(URL, {"iv_racemic.pregnancy": "relative"})
    a = ClinicEligibilityPolicy.objects.get(clinic=world.clinic_a)
    assert a.changes == {"iv_racemic": {"psychosis_current": "relative"}}
    b = ClinicEligibilityPolicy.objects.get(clinic=world.clinic_b)
    assert b.changes == {"iv_racemic": {"pregnancy": "relative"}}
