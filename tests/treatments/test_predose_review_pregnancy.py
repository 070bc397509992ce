"""Pregnancy test "where the clinic requires it" (issue 6 item 2; clinical.md §2b, §14).

A clinic setting on /chairs/limits/ (practice variation, audited old → new with a reason,
snapshotted with the session's limits): when required, "not applicable" is refused for a
patient whose sex at birth is female and whose age is in the clinic's range; a test not
negative holds the dose for the prescriber's documented decision (the hold/clear mechanism).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.limits import clinic_monitoring, defaults, do_set_limits
from ketacare.treatments.models import PreDoseCheck, TreatmentSession, VitalReading
from tests.treatments.session_helpers import NORMAL, actor, answers_for, ready_session

pytestmark = pytest.mark.django_db
LIMITS = "/chairs/limits/"


def _form(**changes: Any) -> dict[str, Any]:
    data = {k: "" if v is None else str(v) for k, v in defaults().items()}
    return data | {k: str(v) for k, v in changes.items()}


def _require(world: Any, clinic: Any = None, **extra: Any) -> None:
    do_set_limits(
        actor(world.admin_a),
        clinic or world.clinic_a,
        _form(pregnancy_test_required=1, **extra) | {"reason": "Medical director's policy"},
    )


def _answers(session: TreatmentSession, pregnancy: str) -> dict[str, tuple[str, str]]:
    return answers_for(session) | {"pregnancy_test": (pregnancy, "")}


def _url(session: Any, step: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/{step}"


def test_the_setting_is_practice_variation_with_default_not_required(
    world: Any, as_user: Any
) -> None:
    assert clinic_monitoring(world.clinic_a).pregnancy_test_required == 0
    html = as_user(world.nurse_a).get(LIMITS).content.decode()
    assert 'data-testid="limit-pregnancy_test_required"' in html
    assert "Required for patients who can become pregnant" in html
    block = html.split('data-testid="limit-pregnancy_test_required"')[1].split("</div>")[0]
    assert "practice variation" in block and "§2b" in block


def test_changing_the_policy_needs_a_reason_and_is_audited_old_to_new(world: Any) -> None:
    with pytest.raises(ActionError) as refused:
        do_set_limits(actor(world.admin_a), world.clinic_a, _form(pregnancy_test_required=1))
    assert refused.value.field == "reason"
    assert clinic_monitoring(world.clinic_a).pregnancy_test_required == 0  # nothing saved
    assert not AuditEntry.objects.filter(action="treatments.limits.changed").exists()
    _require(world, pregnancy_age_max=50)
    entry = AuditEntry.objects.get(action="treatments.limits.changed")
    assert entry.detail["changes"]["pregnancy_test_required"] == [0, 1]
    assert entry.detail["changes"]["pregnancy_age_max"] == [55, 50]
    assert entry.detail["reason"] == "Medical director's policy"
    assert clinic_monitoring(world.clinic_b).pregnancy_test_required == 0  # per clinic


def test_an_age_range_upside_down_is_refused_naming_the_field(world: Any) -> None:
    with pytest.raises(ActionError) as refused:
        _require(world, pregnancy_age_min=50, pregnancy_age_max=40)
    assert refused.value.field == "pregnancy_age_min"
    with pytest.raises(ActionError) as refused:
        do_set_limits(
            actor(world.admin_a),
            world.clinic_a,
            _form(pregnancy_test_required=2) | {"reason": "Medical director's policy"},
        )
    assert refused.value.field == "pregnancy_test_required"


def test_the_page_refuses_a_policy_change_without_reason_keeping_what_was_typed(
    world: Any, as_user: Any
) -> None:
    response = as_user(world.admin_a).post(
        LIMITS, _form(pregnancy_test_required=1, spo2_min=94) | {"reason": "x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="reason"' in html and 'name="reason" value="x"' in html
    assert '<option value="1" selected>' in html and 'value="94"' in html
    assert clinic_monitoring(world.clinic_a).pregnancy_test_required == 0
    ok = as_user(world.admin_a).post(
        LIMITS, _form(pregnancy_test_required=1) | {"reason": "Director decided 3 Dec"}
    )
    assert ok.status_code == 302
    assert clinic_monitoring(world.clinic_a).pregnancy_test_required == 1


def test_not_required_allows_not_applicable(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = actions.do_record_checks(
        actor(world.nurse_a), session, _answers(session, "na"), NORMAL
    )
    assert session.checks_passed and not session.on_hold


def test_required_refuses_not_applicable_for_a_woman_in_range_and_saves_nothing(
    world: Any,
) -> None:
    _require(world)
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)  # F, b. 1985
    with pytest.raises(ActionError) as refused:
        actions.do_record_checks(actor(world.nurse_a), session, _answers(session, "na"), NORMAL)
    assert refused.value.field == "pregnancy_test"
    assert "requires a pregnancy test" in refused.value.message
    assert not PreDoseCheck.objects.filter(session=session).exists()
    assert not VitalReading.objects.filter(session=session).exists()


def test_required_but_outside_the_clinic_age_range_allows_not_applicable(world: Any) -> None:
    _require(world, pregnancy_age_max=35)  # patient_a is 41
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = actions.do_record_checks(
        actor(world.nurse_a), session, _answers(session, "na"), NORMAL
    )
    assert session.checks_passed and session.limits_used["pregnancy_age_max"] == 35


def test_required_does_not_apply_to_a_male_patient(world: Any) -> None:
    _require(world)
    world.patient_a.sex_at_birth = "male"
    world.patient_a.save(update_fields=["sex_at_birth"])
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = actions.do_record_checks(
        actor(world.nurse_a), session, _answers(session, "na"), NORMAL
    )
    assert session.checks_passed


def test_another_clinics_policy_does_not_apply(world: Any) -> None:
    _require(world, clinic=world.clinic_b)
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = actions.do_record_checks(
        actor(world.nurse_a), session, _answers(session, "na"), NORMAL
    )
    assert session.checks_passed


def test_a_test_not_negative_holds_for_the_prescriber_who_clears_it(world: Any) -> None:
    _require(world)
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = actions.do_record_checks(
        actor(world.nurse_a), session, _answers(session, "no"), NORMAL
    )
    assert session.on_hold and session.checks_passed  # a hold, not a standing problem
    assert any("Pregnancy test" in r and "§2b" in r for r in session.hold_reasons)
    assert any("Pregnancy test" in b for b in actions.dosing_blockers(session))
    with pytest.raises(ActionError):  # a nurse cannot clear it
        actions.do_clear_hold(actor(world.nurse_a), session, True, "Test done, negative now.")
    session = actions.do_clear_hold(
        actor(world.prescriber_a), session, True, "Test negative on repeat at 09:10, proceed."
    )
    assert actions.dosing_blockers(session) == []
    calc = actions.session_dose(session)
    actions.do_start_dose(
        actor(world.nurse_a),
        session,
        {"lot_number": "L1", "expiry": date(2099, 1, 1), "given_mg": calc.dose_mg},
    )
    entry = AuditEntry.objects.filter(action="treatments.session.checks_recorded").last()
    assert entry is not None and entry.detail["hold"] is True


def test_a_positive_test_holds_even_when_the_clinic_does_not_require_testing(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = actions.do_record_checks(
        actor(world.nurse_a), session, _answers(session, "no"), NORMAL
    )
    assert session.on_hold and any("Pregnancy test" in r for r in session.hold_reasons)
    session = actions.do_clear_hold(
        actor(world.prescriber_a), session, False, "Positive test: not dosing, referred to GP."
    )
    assert session.status == "aborted"


def test_the_page_offers_no_not_applicable_when_required(world: Any, as_user: Any) -> None:
    _require(world)
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    nurse = as_user(world.nurse_a)
    html = nurse.get(_url(session)).content.decode()
    block = html.split('name="pregnancy_test"')[0].rsplit("<fieldset", 1)[1]
    assert "Pregnancy test" in block
    assert 'name="pregnancy_test" value="na"' not in html
    assert 'name="identity" value="yes"' in html
    data = {code: result for code, (result, _) in _answers(session, "na").items()}
    data |= {k: str(v) for k, v in NORMAL.items()} | {"pregnancy_test_note": "kept"}
    response = nurse.post(_url(session, "checks/"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="pregnancy_test"' in body and 'value="kept"' in body
    assert not PreDoseCheck.objects.filter(session=session).exists()
