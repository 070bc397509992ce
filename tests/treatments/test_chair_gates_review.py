"""Gates at the chair that a review found open: the first esketamine device under a dosing
block, a hold removed by recording the checklist again, the dose working for a lot of another
strength than the plan's, resuming a paused infusion with an alert open, the overdue watcher
touching a locked session, and a signature covering changes made after it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions, corrections, signing
from ketacare.treatments.infusion import do_infusion_event
from ketacare.treatments.models import DoseRecord, SessionAlert, SessionStatus
from ketacare.treatments.models_chair import SessionSignature
from ketacare.treatments.overdue import raise_overdue_vitals
from tests.safety.crisis_helpers import high_flag
from tests.treatments.session_helpers import (
    NORMAL,
    actor,
    answers_for,
    checks_ok,
    dosed,
    infused,
    ready_session,
)

pytestmark = pytest.mark.django_db

LOT = {"lot_number": "LOT-1", "expiry": date(2099, 1, 1)}


def test_the_first_device_is_refused_under_a_block_raised_after_the_dose_started(
    world: Any,
) -> None:
    nurse = world.nurse_a
    session = ready_session(world.prescriber_a, nurse, world.patient_a, "esketamine_nasal")
    session = checks_ok(nurse, session)
    session = actions.do_start_dose(actor(nurse), session, LOT | {"given_mg": "56"})
    high_flag(world.patient_a, nurse)  # after "start dose", before the first device

    with pytest.raises(ActionError) as refused:
        actions.do_record_device(actor(nurse), session)

    assert refused.value.field == "device" and "Dosing is blocked" in refused.value.message
    session.refresh_from_db()
    assert session.observation_started_at is None
    assert not DoseRecord.objects.get(session=session).devices.exists()


def test_recording_the_checks_again_never_takes_a_hold_away(world: Any) -> None:
    nurse = world.nurse_a
    session = ready_session(world.prescriber_a, nurse, world.patient_a)
    answers = answers_for(session)
    high_bp = {**NORMAL, "systolic_mmhg": 168, "diastolic_mmhg": 104}
    session = actions.do_record_checks(actor(nurse), session, answers, high_bp, ["benzodiazepines"])
    assert session.on_hold
    held_for = list(session.hold_reasons)

    session = actions.do_record_checks(actor(nurse), session, answers, {**NORMAL}, [])

    assert session.on_hold and session.hold_cleared_at is None
    assert session.hold_reasons == held_for
    assert "A prescriber must document the decision to proceed." in actions.dosing_blockers(session)
    with pytest.raises(ActionError):
        actions.do_start_dose(
            actor(nurse), session, LOT | {"given_mg": actions.session_dose(session).dose_mg}
        )


def test_new_answers_add_to_a_standing_hold(world: Any) -> None:
    nurse = world.nurse_a
    session = checks_ok(
        nurse,
        ready_session(world.prescriber_a, nurse, world.patient_a),
        systolic_mmhg=150,
        diastolic_mmhg=94,
    )
    first = list(session.hold_reasons)

    session = checks_ok(nurse, session, systolic_mmhg=198, diastolic_mmhg=118)

    assert session.hold_reasons[: len(first)] == first
    assert any("198/118" in r for r in session.hold_reasons)


def test_after_a_prescriber_decided_new_checks_hold_only_for_what_they_find(world: Any) -> None:
    nurse = world.nurse_a
    session = checks_ok(
        nurse,
        ready_session(world.prescriber_a, nurse, world.patient_a),
        systolic_mmhg=150,
        diastolic_mmhg=94,
    )
    session = actions.do_clear_hold(
        actor(world.prescriber_a), session, True, "150/94 is her usual reading, proceed."
    )

    session = checks_ok(nurse, session)

    assert not session.on_hold and session.hold_reasons == []


def test_the_dose_working_follows_the_strength_actually_drawn(world: Any) -> None:
    from ketacare.treatments.models_substances import LotDrug
    from ketacare.treatments.substance_actions import do_receive_lot

    nurse = world.nurse_a
    session = checks_ok(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    session.plan.concentration_mg_per_ml = Decimal("10")
    session.plan.save(update_fields=["concentration_mg_per_ml"])
    drug = next(v for v in LotDrug.values if "esk" not in v)
    lot = do_receive_lot(
        actor(nurse),
        world.clinic_a,
        {
            "drug": drug,
            "lot_number": "L50",
            "expiry": date(2099, 1, 1),
            "units_received": 5,
            "concentration_mg_per_ml": "50",
            "unit_ml": "10",
        },
    )
    planned = actions.session_dose(session)
    assert any("10 mg/mL" in line for line in planned.formula)

    actions.do_start_dose(actor(nurse), session, {"lot_id": lot.pk, "given_mg": planned.dose_mg})

    record = DoseRecord.objects.get(session=session)
    assert record.concentration_mg_per_ml == Decimal("50")
    assert record.calculated_mg == planned.dose_mg  # the same mg
    working = " ".join(record.formula)
    assert "50 mg/mL" in working and "÷ 10 mg/mL" not in working
    volume = (planned.dose_mg / Decimal(50)).quantize(Decimal("0.01"))
    assert f"{volume:f} mL" in working
    entry = AuditEntry.objects.filter(action="treatments.session.dose_started").get()
    assert entry.detail["strength_differs_from_plan"] is True


def test_resuming_with_an_alert_open_needs_a_documented_reason(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    assert session.status == SessionStatus.DOSING
    actions.do_record_vitals(actor(nurse), session, {"systolic_mmhg": 210, "diastolic_mmhg": 125})
    do_infusion_event(actor(nurse), session, "pause", None, "BP 210/125, paused at once")

    for reason in ("", "ok"):
        with pytest.raises(ActionError) as refused:
            do_infusion_event(actor(nurse), session, "resume", "200", reason)
        assert refused.value.field == "reason" and "An alert is open" in refused.value.message

    event = do_infusion_event(
        actor(world.prescriber_a), session, "resume", "50", "Repeat BP 150/90, resume at half rate"
    )
    assert event.reason.startswith("Repeat BP")
    entry = AuditEntry.objects.filter(action="treatments.session.infusion_resume").get()
    assert entry.detail["open_alerts"] >= 1


def test_resuming_with_no_alert_open_needs_no_reason(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    do_infusion_event(actor(nurse), session, "pause", None, "Patient asked for a short break")

    event = do_infusion_event(actor(nurse), session, "resume", "200", "")

    assert event.kind == "resume"


def test_the_overdue_watcher_leaves_a_locked_session_alone(world: Any) -> None:
    nurse, prescriber = world.nurse_a, world.prescriber_a
    session = dosed(nurse, ready_session(prescriber, nurse, world.patient_a))
    session = actions.do_end_infusion(actor(nurse), infused(session))
    now = timezone.now()
    alert = SessionAlert.objects.create(
        session=session,
        code="vitals_overdue",
        level="warning",
        field="systolic_mmhg",
        message="Vitals overdue",
        source="test",
        raised_at=now - timedelta(minutes=2),
        due_at=now - timedelta(minutes=3),
    )
    actions.do_record_vitals(actor(nurse), session, {**NORMAL})
    session = actions.do_discharge(
        actor(prescriber),
        session,
        escort_confirmed=True,
        override_reason="Prescriber reviewed, stable, leaving with escort",
        may_override=True,
    )
    signing.do_sign(actor(nurse), session, "nurse")
    signing.do_sign(actor(prescriber), session, "prescriber")
    session.refresh_from_db()
    assert session.locked_at is not None

    raise_overdue_vitals()

    alert.refresh_from_db()
    assert alert.acknowledged_at is None and alert.note == ""


def _transferred(world: Any) -> tuple[Any, Any]:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    actions.do_stop_session(actor(nurse), session, "Patient asked to stop now please", "10")
    session.refresh_from_db()
    reading = actions.do_record_vitals(actor(nurse), session, {**NORMAL})
    actions.do_transfer_out(actor(nurse), session, "Chest pain, to the ED by ambulance")
    session.refresh_from_db()
    return session, reading


def test_a_change_after_the_first_signature_voids_it(world: Any) -> None:
    session, reading = _transferred(world)
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    corrections.do_correct_reading(
        actor(world.prescriber_a),
        session,
        reading.pk,
        {**NORMAL, "systolic_mmhg": 190, "diastolic_mmhg": 100},
        "typo in the systolic",
    )
    voided: list[str] = []

    signing.do_sign(actor(world.prescriber_a), session, "prescriber", voided)

    session.refresh_from_db()
    assert session.locked_at is None
    assert list(
        SessionSignature.objects.filter(session=session).values_list("role", flat=True)
    ) == ["prescriber"]
    assert voided and "nurse's signature was voided" in voided[0]
    assert "a vital-sign reading or a correction" in voided[0]
    entry = AuditEntry.objects.filter(action="treatments.session.signature_voided").get()
    assert entry.detail["role"] == "nurse" and entry.detail["signed_by"] == world.nurse_a.pk

    signing.do_sign(actor(world.nurse_a), session, "nurse")  # she signs what is there now
    session.refresh_from_db()
    assert session.locked_at is not None


def test_no_change_between_the_signatures_locks_at_the_second(world: Any) -> None:
    session, _ = _transferred(world)
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    voided: list[str] = []

    signing.do_sign(actor(world.prescriber_a), session, "prescriber", voided)

    session.refresh_from_db()
    assert session.locked_at is not None and voided == []


def test_the_page_says_the_signature_was_voided(world: Any, as_user: Any) -> None:
    session, reading = _transferred(world)
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    corrections.do_correct_reading(
        actor(world.prescriber_a),
        session,
        reading.pk,
        {**NORMAL, "systolic_mmhg": 190, "diastolic_mmhg": 100},
        "typo in the systolic",
    )
    client = as_user(world.prescriber_a)

    response = client.post(f"/patients/{world.patient_a.pk}/sessions/{session.pk}/sign/")

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "signature was voided" in page


def test_a_pre_dose_respiratory_rate_out_of_range_holds(world: Any) -> None:
    nurse = world.nurse_a
    session = checks_ok(
        nurse, ready_session(world.prescriber_a, nurse, world.patient_a), resp_rate_per_min=6
    )

    assert session.on_hold
    assert any("respiratory rate 6/min" in r for r in session.hold_reasons)


def _page_form(client: Any, url: str, name: str) -> str:
    import re

    page = client.get(url).content.decode()
    found = re.search(rf'<form[^>]*action="[^"]*/{name}/[^"]*"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no {name} form on the page"
    seen = re.search(r'name="seen_at" value="([^"]+)"', found.group(1))
    assert seen, f"the {name} form carries no seen_at"
    return seen.group(1)


def test_a_hold_decision_on_a_page_older_than_the_checks_is_refused(
    world: Any, as_user: Any
) -> None:
    nurse, prescriber = world.nurse_a, world.prescriber_a
    session = checks_ok(
        nurse,
        ready_session(prescriber, nurse, world.patient_a),
        systolic_mmhg=150,
        diastolic_mmhg=94,
    )
    client = as_user(prescriber)
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/"
    seen = _page_form(client, url, "hold")
    # Meanwhile, in another tab, the nurse records the checks again: 198/118.
    session = checks_ok(nurse, session, systolic_mmhg=198, diastolic_mmhg=118)

    response = client.post(
        f"{url}hold/",
        {"decision": "proceed", "note": "150/94 is her usual, proceed", "seen_at": seen},
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Since this page was opened" in body and "198/118" in body
    assert "150/94 is her usual, proceed" in body  # what she typed is kept
    session.refresh_from_db()
    assert session.hold_cleared_at is None
    fresh = _page_form(client, url, "hold")
    response = client.post(
        f"{url}hold/",
        {
            "decision": "proceed",
            "note": "Rechecked 198/118 myself, proceed slowly",
            "seen_at": fresh,
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.hold_cleared_at is not None


def test_a_tampered_seen_at_is_refused_by_name(world: Any, as_user: Any) -> None:
    nurse = world.nurse_a
    session = checks_ok(
        nurse,
        ready_session(world.prescriber_a, nurse, world.patient_a),
        systolic_mmhg=150,
        diastolic_mmhg=94,
    )
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/hold/"
    response = as_user(world.prescriber_a).post(
        url, {"decision": "proceed", "note": "Her usual reading, proceed.", "seen_at": "yesterday"}
    )
    assert response.status_code == 400
    assert "out of date" in response.content.decode()


def test_a_discharge_override_on_a_page_older_than_a_new_alert_is_refused(
    world: Any, as_user: Any
) -> None:
    nurse, prescriber = world.nurse_a, world.prescriber_a
    session = dosed(nurse, ready_session(prescriber, nurse, world.patient_a))
    session = actions.do_end_infusion(actor(nurse), infused(session))
    actions.do_record_vitals(actor(nurse), session, {**NORMAL})
    client = as_user(prescriber)
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/"
    seen = _page_form(client, url, "discharge")
    actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 84})  # after the page

    response = client.post(
        f"{url}discharge/",
        {
            "escort_confirmed": "on",
            "override_reason": "Escort waiting in the car, time is short",
            "seen_at": seen,
        },
    )

    assert response.status_code == 400
    assert "Since this page was opened, the record gained" in response.content.decode()
    session.refresh_from_db()
    assert session.status != SessionStatus.DISCHARGED


def test_a_seen_at_out_of_range_is_refused_not_a_server_error(world: Any, as_user: Any) -> None:
    nurse = world.nurse_a
    session = checks_ok(
        nurse,
        ready_session(world.prescriber_a, nurse, world.patient_a),
        systolic_mmhg=150,
        diastolic_mmhg=94,
    )
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/hold/"
    client = as_user(world.prescriber_a)
    for seen in (
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00",
        "2020-01-01T00:00:00+00:00",
        "2026-12-04T10:00:00",  # no zone
    ):
        response = client.post(
            url, {"decision": "proceed", "note": "Her usual reading, proceed.", "seen_at": seen}
        )
        assert response.status_code == 400, seen
        assert "out of date" in response.content.decode()
    session.refresh_from_db()
    assert session.hold_cleared_at is None
