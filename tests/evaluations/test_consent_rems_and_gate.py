"""Consent, REMS enrolment, and the gates sessions call before treatment starts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.evaluations import actions
from ketacare.evaluations.gates import (
    TreatmentNotAllowed,
    assert_can_schedule_first_dose,
    assert_can_start_session,
)
from ketacare.evaluations.models import Consent
from tests.evaluations.evaluation_helpers import actor, consent, evaluation_for, signed

pytestmark = pytest.mark.django_db
DAY = date(2026, 2, 1)


def consent_form(**changes: Any) -> dict[str, Any]:
    data = {
        "route": "iv_racemic",
        "version": "IV-2026-01",
        "off_label_disclosed": "on",
        "risks_discussed": ["dissociation", "blood_pressure", "no_driving"],
        "patient_signature_name": "Ada Lovelace",
        "signed_on": "2026-01-05",
        "witness_name": "Nina Nurse",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_nurse_records_consent_with_version_and_witness(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/evaluation/consent/"
    assert client.post(url, consent_form()).status_code == 302
    stored = Consent.objects.get(patient=world.patient_a)
    assert (stored.version, stored.witness_name, stored.off_label_disclosed) == (
        "IV-2026-01",
        "Nina Nurse",
        True,
    )
    assert stored.risks_discussed == ["blood_pressure", "dissociation", "no_driving"]
    assert stored.recorded_by == world.nurse_a
    assert "IV-2026-01" in client.get(url).content.decode()


def test_off_label_disclosure_is_required_for_racemic_routes(world: Any, as_user: Any) -> None:
    url = f"/patients/{world.patient_a.pk}/evaluation/consent/"
    response = as_user(world.nurse_a).post(url, consent_form(off_label_disclosed=None))
    assert response.status_code == 400
    assert 'data-field="off_label_disclosed"' in response.content.decode()
    assert not Consent.objects.exists()
    # Esketamine is on-label for TRD: no off-label disclosure needed.
    esk = consent_form(route="esketamine_nasal", off_label_disclosed=None)
    assert as_user(world.nurse_a).post(url, esk).status_code == 302


def test_consent_needs_a_version(world: Any) -> None:
    with pytest.raises(ActionError) as refused:
        consent(world.nurse_a, world.patient_a, version=" ")
    assert refused.value.field == "version"


def test_intake_cannot_record_consent(world: Any, as_user: Any) -> None:
    url = f"/patients/{world.patient_a.pk}/evaluation/consent/"
    assert as_user(world.intake_a).post(url, consent_form()).status_code == 403


def test_session_is_refused_without_a_signed_decision(world: Any) -> None:
    evaluation_for(world.prescriber_a, world.patient_a)
    consent(world.nurse_a, world.patient_a)
    with pytest.raises(TreatmentNotAllowed) as refused:
        assert_can_start_session(world.patient_a, "iv_racemic", DAY)
    assert "No signed eligibility decision" in str(refused.value)


def test_session_is_refused_when_not_eligible(world: Any) -> None:
    signed(world.prescriber_a, world.patient_a, medical_history=["aneurysmal_vascular_disease"])
    consent(world.nurse_a, world.patient_a)
    with pytest.raises(TreatmentNotAllowed) as refused:
        assert_can_start_session(world.patient_a, "iv_racemic", DAY)
    assert "'not eligible'" in str(refused.value)


def test_session_is_refused_without_consent(world: Any) -> None:
    signed(world.prescriber_a, world.patient_a)
    with pytest.raises(TreatmentNotAllowed) as refused:
        assert_can_start_session(world.patient_a, "iv_racemic", DAY)
    assert refused.value.reasons == [
        "No informed consent for IV racemic ketamine (off-label) recorded."
    ]
    consent(world.nurse_a, world.patient_a, route="im_racemic")  # another route's consent
    with pytest.raises(TreatmentNotAllowed):
        assert_can_start_session(world.patient_a, "iv_racemic", DAY)


def test_session_passes_when_complete(world: Any) -> None:
    signed(world.prescriber_a, world.patient_a)
    consent(world.nurse_a, world.patient_a)
    ready = assert_can_start_session(world.patient_a, "iv_racemic", DAY)
    assert ready.decision is not None and ready.decision.allows_treatment
    with pytest.raises(TreatmentNotAllowed):  # consent signed later than the session day
        assert_can_start_session(world.patient_a, "iv_racemic", date(2026, 1, 1))


def test_esketamine_needs_rems_enrolment_for_first_dose_and_sessions(
    world: Any, as_user: Any
) -> None:
    signed(world.prescriber_a, world.patient_a, route="esketamine_nasal", indication="trd")
    consent(world.nurse_a, world.patient_a, route="esketamine_nasal")
    with pytest.raises(TreatmentNotAllowed) as refused:
        assert_can_schedule_first_dose(world.patient_a, "esketamine_nasal")
    assert "SPRAVATO REMS" in str(refused.value)
    with pytest.raises(TreatmentNotAllowed):
        assert_can_start_session(world.patient_a, "esketamine_nasal", DAY)
    url = f"/patients/{world.patient_a.pk}/evaluation/rems/"
    bad = as_user(world.nurse_a).post(url, {"rems_patient_id": "", "enrolled_on": "2026-01-10"})
    assert bad.status_code == 400 and 'data-field="rems_patient_id"' in bad.content.decode()
    ok = as_user(world.nurse_a).post(url, {"rems_patient_id": "RX-42", "enrolled_on": "2026-01-10"})
    assert ok.status_code == 302
    assert_can_schedule_first_dose(world.patient_a, "esketamine_nasal")
    assert_can_start_session(world.patient_a, "esketamine_nasal", DAY)
    assert "RX-42" in as_user(world.nurse_a).get(url).content.decode()


def test_racemic_first_dose_needs_no_rems(world: Any) -> None:
    signed(world.prescriber_a, world.patient_a)
    assert_can_schedule_first_dose(world.patient_a, "iv_racemic")


def test_rems_date_cannot_be_in_the_future(world: Any) -> None:
    with pytest.raises(ActionError) as refused:
        actions.do_record_rems_enrollment(
            actor(world.nurse_a), world.patient_a, "RX-1", date(2999, 1, 1)
        )
    assert refused.value.field == "enrolled_on"
