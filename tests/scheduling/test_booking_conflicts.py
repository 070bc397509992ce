"""Booking one appointment: every conflict is found, named by field, and nothing is saved."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from ketacare.accounts.actions import ActionError
from ketacare.evaluations.gates import TreatmentNotAllowed
from ketacare.scheduling import booking
from ketacare.scheduling.booking import Booking, ConflictError
from ketacare.scheduling.models import Appointment, AppointmentStatus, Closure
from tests.conftest import make_patient
from tests.evaluations.evaluation_helpers import actor
from tests.scheduling.sched_helpers import at, esketamine_plan, iv_plan, set_up_clinic, works

NOW = at(2026, 11, 16, 9)  # Monday


@pytest.fixture
def clinic_set(world: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        world.chairs = set_up_clinic(world.clinic_a)
        yield world


def book(world: Any, patient: Any = None, **kw: Any) -> Appointment:
    data: dict[str, Any] = {
        "type": "follow_up",
        "starts_at": at(2026, 11, 17, 10),
        "ends_at": at(2026, 11, 17, 11),
    }
    data.update(kw)
    return booking.do_book(
        actor(world.nurse_a), world.clinic_a, patient or world.patient_a, Booking(**data)
    )


def conflict_codes(problem: ConflictError) -> list[tuple[str, str]]:
    return [(c.field, c.code) for c in problem.conflicts]


def test_a_follow_up_in_a_room_is_booked_and_audited(clinic_set: Any) -> None:
    appointment = book(clinic_set, resource=clinic_set.chairs["room"])
    assert appointment.status == AppointmentStatus.BOOKED
    from ketacare.accounts.audit import AuditEntry

    entry = AuditEntry.objects.get(action="scheduling.appointment.booked")
    assert entry.patient_id == str(clinic_set.patient_a.pk)


def test_the_same_chair_twice_is_refused_with_the_chair_named(clinic_set: Any) -> None:
    room = clinic_set.chairs["room"]
    book(clinic_set, resource=room)
    other = make_patient(clinic_set.clinic_a, "Mary", "Shelley")
    with pytest.raises(ConflictError) as caught:
        book(clinic_set, other, resource=room, starts_at=at(2026, 11, 17, 10, 30))
    assert conflict_codes(caught.value) == [("resource", "resource_busy")]
    assert "Room A is already booked" in caught.value.conflicts[0].message
    assert Appointment.objects.count() == 1


def test_back_to_back_in_the_same_chair_is_fine(clinic_set: Any) -> None:
    room = clinic_set.chairs["room"]
    book(clinic_set, resource=room)
    other = make_patient(clinic_set.clinic_a, "Mary", "Shelley")
    book(
        clinic_set,
        other,
        resource=room,
        starts_at=at(2026, 11, 17, 11),
        ends_at=at(2026, 11, 17, 12),
    )


def test_a_cancelled_appointment_frees_the_chair(clinic_set: Any) -> None:
    room = clinic_set.chairs["room"]
    first = book(clinic_set, resource=room)
    booking.do_cancel(actor(clinic_set.nurse_a), first, "patient unwell")
    other = make_patient(clinic_set.clinic_a, "Mary", "Shelley")
    book(clinic_set, other, resource=room)


def test_the_patient_cannot_be_in_two_places_at_once(clinic_set: Any) -> None:
    book(clinic_set, resource=clinic_set.chairs["room"])
    with pytest.raises(ConflictError) as caught:
        book(clinic_set, type="telehealth", starts_at=at(2026, 11, 17, 10, 45))
    assert conflict_codes(caught.value) == [("starts_at", "patient_busy")]


def test_every_problem_is_reported_at_once(clinic_set: Any) -> None:
    Closure.objects.create(
        clinic=clinic_set.clinic_a,
        starts_on=date(2026, 11, 26),
        ends_on=date(2026, 11, 26),
        reason="Thanksgiving",
    )
    with pytest.raises(ConflictError) as caught:
        book(
            clinic_set,
            starts_at=at(2026, 11, 26, 10),
            ends_at=at(2026, 11, 26, 11),
            clinician=clinic_set.therapist_a,
        )
    codes = conflict_codes(caught.value)
    assert ("starts_at", "closure") in codes and ("clinician", "clinician_hours") in codes
    assert "Thanksgiving" in caught.value.message


def test_outside_clinic_hours_and_closed_days_are_refused(clinic_set: Any) -> None:
    with pytest.raises(ConflictError) as caught:
        book(clinic_set, starts_at=at(2026, 11, 17, 17, 30), ends_at=at(2026, 11, 17, 18, 30))
    assert conflict_codes(caught.value) == [("starts_at", "hours")]
    assert "08:00–18:00" in caught.value.conflicts[0].message
    with pytest.raises(ConflictError) as caught:
        book(clinic_set, starts_at=at(2026, 11, 21, 10), ends_at=at(2026, 11, 21, 11))  # Saturday
    assert "closed on Saturdays" in caught.value.conflicts[0].message


def test_a_clinician_is_booked_only_in_their_hours(clinic_set: Any) -> None:
    works(clinic_set.clinic_a, clinic_set.therapist_a, range(1, 2))  # Tuesdays
    book(clinic_set, type="integration", clinician=clinic_set.therapist_a)
    with pytest.raises(ConflictError) as caught:
        book(
            clinic_set,
            type="integration",
            clinician=clinic_set.therapist_a,
            starts_at=at(2026, 11, 18, 10),
            ends_at=at(2026, 11, 18, 11),
        )
    assert conflict_codes(caught.value) == [("clinician", "clinician_hours")]


def test_a_treatment_needs_an_active_plan(clinic_set: Any) -> None:
    with pytest.raises(ActionError) as caught:
        book(clinic_set, type="treatment", resource=clinic_set.chairs["iv1"])
    assert caught.value.field == "plan"


def test_an_iv_session_needs_a_pump_and_a_monitor(clinic_set: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        plan = iv_plan(clinic_set.prescriber_a, clinic_set.patient_a)
    with pytest.raises(ConflictError) as caught:
        book(clinic_set, type="treatment", plan=plan, resource=clinic_set.chairs["plain"])
    assert conflict_codes(caught.value) == [("resource", "capability")]
    assert "IV infusion pump and a vital-signs monitor" in caught.value.message
    appointment = book(clinic_set, type="treatment", plan=plan, resource=clinic_set.chairs["iv1"])
    assert appointment.plan == plan and appointment.session_number == 1
    assert appointment.phase == "induction"


def test_treatment_sessions_keep_the_phase_minimum_interval(clinic_set: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        plan = iv_plan(clinic_set.prescriber_a, clinic_set.patient_a)
    iv = clinic_set.chairs["iv1"]
    book(clinic_set, type="treatment", plan=plan, resource=iv, ends_at=at(2026, 11, 17, 13))
    with pytest.raises(ConflictError) as caught:
        book(
            clinic_set,
            type="treatment",
            plan=plan,
            resource=iv,
            starts_at=at(2026, 11, 18, 14),
            ends_at=at(2026, 11, 18, 17),
        )
    assert conflict_codes(caught.value) == [("starts_at", "interval")]
    assert "at least 48 h" in caught.value.message
    second = book(
        clinic_set,
        type="treatment",
        plan=plan,
        resource=iv,
        starts_at=at(2026, 11, 19, 10),
        ends_at=at(2026, 11, 19, 13),
    )
    assert second.session_number == 2


def test_esketamine_needs_a_certified_chair_and_a_prescriber_on_site(clinic_set: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        plan = esketamine_plan(clinic_set.prescriber_a, clinic_set.patient_a)
    end = at(2026, 11, 17, 12, 30)
    with pytest.raises(ConflictError) as caught:
        book(
            clinic_set, type="treatment", plan=plan, resource=clinic_set.chairs["iv1"], ends_at=end
        )
    codes = conflict_codes(caught.value)
    assert ("resource", "capability") in codes and ("starts_at", "prescriber") in codes
    works(clinic_set.clinic_a, clinic_set.prescriber_a)
    appointment = book(
        clinic_set, type="treatment", plan=plan, resource=clinic_set.chairs["esk"], ends_at=end
    )
    assert appointment.resource == clinic_set.chairs["esk"]


def test_a_prescriber_leaving_mid_session_is_not_on_site(clinic_set: Any) -> None:
    from datetime import time

    from ketacare.scheduling.models import StaffHours

    with time_machine.travel(NOW, tick=False):
        plan = esketamine_plan(clinic_set.prescriber_a, clinic_set.patient_a)
    StaffHours.objects.create(
        clinic=clinic_set.clinic_a,
        user=clinic_set.prescriber_a,
        weekday=1,
        starts=time(8),
        ends=time(12),
    )
    with pytest.raises(ConflictError) as caught:
        book(
            clinic_set,
            type="treatment",
            plan=plan,
            resource=clinic_set.chairs["esk"],
            ends_at=at(2026, 11, 17, 12, 30),
        )
    assert conflict_codes(caught.value) == [("starts_at", "prescriber")]


def test_the_first_esketamine_dose_needs_rems_enrolment(clinic_set: Any) -> None:
    works(clinic_set.clinic_a, clinic_set.prescriber_a)
    with time_machine.travel(NOW, tick=False):
        plan = esketamine_plan(clinic_set.prescriber_a, clinic_set.patient_a, rems=False)
    with pytest.raises(TreatmentNotAllowed) as caught:
        book(
            clinic_set,
            type="treatment",
            plan=plan,
            resource=clinic_set.chairs["esk"],
            ends_at=at(2026, 11, 17, 12, 30),
        )
    assert "REMS" in caught.value.message
    assert not Appointment.objects.exists()


def test_status_changes_follow_the_day(clinic_set: Any) -> None:
    who = actor(clinic_set.nurse_a)
    appointment = book(clinic_set, resource=clinic_set.chairs["room"])
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ActionError, match="day of the appointment"):
            booking.do_check_in(who, appointment)
        with pytest.raises(ActionError, match="appointment time has come"):
            booking.do_no_show(who, appointment)
        with pytest.raises(ActionError, match="cannot be marked completed"):
            booking.do_complete(who, appointment)
    with time_machine.travel(at(2026, 11, 17, 9, 50), tick=False):
        checked = booking.do_check_in(who, appointment)
        assert checked.status == "checked_in" and checked.checked_in_by_id == clinic_set.nurse_a.pk
        with pytest.raises(ActionError):
            booking.do_cancel(who, appointment, "late")
        done = booking.do_complete(who, appointment)
    assert done.status == "completed" and done.completed_at is not None


def test_no_show_after_the_start_and_cancel_needs_a_reason(clinic_set: Any) -> None:
    who = actor(clinic_set.nurse_a)
    appointment = book(clinic_set, resource=clinic_set.chairs["room"])
    with pytest.raises(ActionError) as caught:
        booking.do_cancel(who, appointment, "  ")
    assert caught.value.field == "reason"
    with time_machine.travel(at(2026, 11, 17, 10, 20), tick=False):
        assert booking.do_no_show(who, appointment).status == "no_show"


def test_reschedule_rechecks_and_ignores_itself(clinic_set: Any) -> None:
    who = actor(clinic_set.nurse_a)
    room = clinic_set.chairs["room"]
    appointment = book(clinic_set, resource=room)
    moved = booking.do_reschedule(
        who, appointment, at(2026, 11, 17, 10, 30), at(2026, 11, 17, 11, 30), room, None, "later"
    )
    assert moved.starts_at == at(2026, 11, 17, 10, 30) and moved.status == "booked"
    other = make_patient(clinic_set.clinic_a, "Mary", "Shelley")
    blocker = book(
        clinic_set,
        other,
        resource=room,
        starts_at=at(2026, 11, 18, 10),
        ends_at=at(2026, 11, 18, 11),
    )
    with pytest.raises(ConflictError) as caught:
        booking.do_reschedule(who, moved, at(2026, 11, 18, 10), at(2026, 11, 18, 11), room, None)
    assert conflict_codes(caught.value) == [("resource", "resource_busy")]
    moved.refresh_from_db()
    assert moved.starts_at == at(2026, 11, 17, 10, 30)
    assert blocker.pk != moved.pk


def test_an_appointment_longer_than_twelve_hours_is_refused(clinic_set: Any) -> None:
    with pytest.raises(ConflictError) as caught:
        book(clinic_set, ends_at=at(2026, 11, 17, 10) + timedelta(hours=13))
    assert caught.value.field == "ends_at"


def test_a_rescheduled_appointment_is_reminded_again_for_its_new_time(clinic_set: Any) -> None:
    from ketacare.scheduling.models import AppointmentReminder

    who = actor(clinic_set.nurse_a)
    room = clinic_set.chairs["room"]
    appointment = book(clinic_set, resource=room)
    AppointmentReminder.objects.create(appointment=appointment, lead_hours=48, channel="email")
    booking.do_reschedule(
        who, appointment, at(2026, 11, 17, 10, 30), at(2026, 11, 17, 11, 30), room, None, "later"
    )
    assert not AppointmentReminder.objects.filter(appointment=appointment).exists()
