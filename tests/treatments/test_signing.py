"""Sign and lock: nurse and prescriber sign a finished session; then every write action
refuses and only addenda can be added."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions, corrections, infusion, side_effects, signing
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.locking import LOCKED_MESSAGE
from ketacare.treatments.models import SessionAlert, SessionStatus, TreatmentSession
from ketacare.treatments.models_chair import SessionAddendum, SessionSignature
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db


def _discharged(world: Any) -> TreatmentSession:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125)
    )
    session.refresh_from_db()
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    return actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)


def _sign_both(world: Any, session: TreatmentSession) -> TreatmentSession:
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    signing.do_sign(actor(world.prescriber_a), session, "prescriber")
    session.refresh_from_db()
    return session


def test_both_signatures_lock_the_session(world: Any) -> None:
    session = _discharged(world)
    assert session.status == SessionStatus.DISCHARGED
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    session.refresh_from_db()
    assert session.locked_at is None
    with pytest.raises(ActionError, match="already signed"):
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    with pytest.raises(ActionError, match="another person"):
        signing.do_sign(actor(world.nurse_a), session, "prescriber")
    with pytest.raises(ActionError, match="Only the nurse and the prescriber"):
        signing.do_sign(actor(world.therapist_a), session, "therapist")
    signing.do_sign(actor(world.prescriber_a), session, "prescriber")
    session.refresh_from_db()
    assert session.locked_at is not None
    assert SessionSignature.objects.filter(session=session).count() == 2
    assert AuditEntry.objects.filter(action="treatments.session.locked").count() == 1
    with pytest.raises(ActionError, match="locked"):
        signing.do_sign(actor(world.prescriber_a), session, "prescriber")


def test_signing_waits_for_discharge_or_transfer_out(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    with pytest.raises(ActionError, match="discharged or the session ended"):
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    # Stopping the dosing does not end the session: still nothing to sign.
    session = actions.do_stop_session(
        actor(world.nurse_a), session, "patient asked to stop", given_mg="20"
    )
    assert session.status == SessionStatus.MONITORING
    with pytest.raises(ActionError, match="discharged or the session ended"):
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    session = actions.do_transfer_out(
        actor(world.nurse_a), session, "Chest pain after the stop: to the ED by ambulance"
    )
    session = _sign_both(world, session)
    assert session.status == SessionStatus.TRANSFERRED and session.locked_at is not None


def test_every_write_action_refuses_on_a_locked_session(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, lot_number="LOT-1")  # the dose record's lot
    session = _discharged(world)
    nurse = actor(world.nurse_a)
    entry = sa.do_record_use(nurse, session, {"lot": lot.pk, "drawn_mg": "35", "given_mg": "35"})
    reading = session.readings.filter(phase="during").first()
    assert reading is not None
    alert = SessionAlert.objects.create(session=session, code="x", level="warning", message="m")
    session = _sign_both(world, session)
    attempts: dict[str, Callable[[], Any]] = {
        "record_checks": lambda: actions.do_record_checks(nurse, session, {}, NORMAL),
        "clear_hold": lambda: actions.do_clear_hold(
            nurse, session, True, "Known hypertensive, fine"
        ),
        "start_dose": lambda: actions.do_start_dose(nurse, session, {}),
        "record_device": lambda: actions.do_record_device(nurse, session),
        "end_infusion": lambda: actions.do_end_infusion(nurse, session),
        "record_vitals": lambda: actions.do_record_vitals(nurse, session, NORMAL),
        "acknowledge_alert": lambda: actions.do_acknowledge_alert(
            nurse, session, alert.pk, "repeat_5min"
        ),
        "discharge": lambda: actions.do_discharge(nurse, session, escort_confirmed=True),
        "stop": lambda: actions.do_stop_session(nurse, session, "late"),
        "transfer_out": lambda: actions.do_transfer_out(nurse, session, "to the ED by ambulance"),
        "record_use": lambda: sa.do_record_use(
            nurse, session, {"lot": lot.pk, "drawn_mg": "1", "given_mg": "1"}
        ),
        "correct_entry": lambda: sa.do_correct_entry(
            nurse,
            world.clinic_a,
            entry.pk,
            {"drawn_mg": "30", "given_mg": "30", "correction_reason": "r"},
        ),
        "infusion": lambda: infusion.do_infusion_event(nurse, session, "rate", "5", "r"),
        "side_effect": lambda: side_effects.do_record_side_effect(
            nurse, session, {"code": "nausea", "severity": "mild"}
        ),
        "correct_reading": lambda: corrections.do_correct_reading(
            nurse, session, reading.pk, NORMAL, "r"
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ActionError) as err:
            attempt()
        assert err.value.message == LOCKED_MESSAGE, name
    alert.refresh_from_db()
    assert alert.is_open
    assert session.substance_entries.count() == 1


def test_addenda_after_the_lock(world: Any) -> None:
    session = _sign_both(world, _discharged(world))
    with pytest.raises(ActionError) as err:
        signing.do_add_addendum(actor(world.nurse_a), session, "  ")
    assert err.value.field == "text"
    note = signing.do_add_addendum(actor(world.nurse_a), session, "Called at 18:00: home, well.")
    assert note.by == world.nurse_a and note.at is not None
    assert AuditEntry.objects.filter(action="treatments.session.addendum_added").exists()
    assert SessionAddendum.objects.filter(session=session).count() == 1


def test_the_page_signs_locks_and_takes_addenda(world: Any, as_user: Any) -> None:
    session = _discharged(world)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    nurse, prescriber = as_user(world.nurse_a), as_user(world.prescriber_a)
    page = nurse.get(url).content.decode()
    assert "Sign as nurse" in page
    assert nurse.post(url + "sign/").status_code == 302
    again = nurse.post(url + "sign/")
    assert again.status_code == 400 and "already signed" in again.content.decode()
    assert "Sign as prescriber" in prescriber.get(url).content.decode()
    assert prescriber.post(url + "sign/").status_code == 302
    page = nurse.get(url).content.decode()
    assert 'data-testid="locked"' in page and "Sign as" not in page
    refused = nurse.post(url + "vitals/", {"systolic_mmhg": "120", "diastolic_mmhg": "80"})
    assert refused.status_code == 400 and "signed and locked" in refused.content.decode()
    assert nurse.post(url + "addenda/", {"text": ""}).status_code == 400
    assert nurse.post(url + "addenda/", {"text": "Follow-up call: well."}).status_code == 302
    assert "Follow-up call: well." in nurse.get(url).content.decode()
    for user in (world.therapist_a, world.director_a):
        client = as_user(user)
        assert client.post(url + "sign/").status_code == 403
        assert client.post(url + "addenda/", {"text": "x"}).status_code == 403
