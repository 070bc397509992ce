"""Review 3 of the escalation: an override for someone who has left leaves the weekly rota
on call; the director is paged again at the last step even if told at step 1; a clinic with
nobody to page says so; a long patient name never stops the in-app notice (frozen time)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
import time_machine

from ketacare.accounts.models import Membership
from ketacare.patients.models import Patient
from ketacare.safety.escalation import escalate_due
from ketacare.safety.escalation_models import (
    EscalationEvent,
    EscalationState,
    FlagEscalation,
    OnCallOverride,
    OnCallSlot,
    StaffNotification,
)
from ketacare.safety.rota import on_call_at
from tests.safety.helpers import make_prescriber_of, raise_flag, set_director, utc

pytestmark = pytest.mark.django_db

# A Tuesday, 02:00 in New York (the clinic's zone): the on-call hour that matters.
T0 = utc("2026-03-03 07:00:00+00:00")


def _told(flag: Any) -> list[tuple[str, str, str]]:
    return [
        (e.kind, e.recipient.email, e.role)
        for e in EscalationEvent.objects.filter(flag=flag, recipient__isnull=False)
    ]


def test_an_override_for_someone_who_left_does_not_blank_out_the_weekly_rota(
    world: Any,
) -> None:
    clinic = world.clinic_a
    OnCallSlot.objects.create(
        clinic=clinic, weekday=1, starts=time(0), ends=time(0), user=world.prescriber_a
    )
    OnCallOverride.objects.create(
        clinic=clinic, on_date=date(2026, 3, 3), user=world.nurse_a, note="holiday cover"
    )
    assert on_call_at(clinic, T0) == [world.nurse_a]
    Membership.objects.filter(user=world.nurse_a).update(is_active=False)  # left the clinic
    assert on_call_at(clinic, T0) == [world.prescriber_a]
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    assert _told(flag) == [("notified", "prescriber@a.test", "on call")]


def test_the_director_is_paged_again_at_the_last_step_even_if_told_at_step_one(
    world: Any,
) -> None:
    """A small clinic: the prescriber is also the director and nobody else is listed. The
    flag at 2 a.m. must not go quiet after one unanswered page."""
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_director(world.clinic_a, world.prescriber_a)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    assert _told(flag) == [("notified", "prescriber@a.test", "patient's prescriber")]
    with time_machine.travel(T0 + timedelta(minutes=14), tick=False):
        assert escalate_due() == 0
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        assert escalate_due() == 1
    assert _told(flag)[-1] == ("escalated", "prescriber@a.test", "director (repeat page)")
    assert StaffNotification.objects.filter(flag=flag, user=world.prescriber_a).count() == 2
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        escalate_due()
    assert FlagEscalation.objects.get(flag=flag).state == EscalationState.EXHAUSTED
    exhausted = EscalationEvent.objects.get(flag=flag, kind="exhausted")
    assert "has been paged" in exhausted.detail


def test_with_nobody_to_page_the_escalation_says_so(world: Any) -> None:
    from ketacare.accounts.models import Role

    Membership.objects.filter(clinic=world.clinic_a, role=Role.DIRECTOR).update(is_active=False)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    assert _told(flag) == []
    exhausted = EscalationEvent.objects.get(flag=flag, kind="exhausted")
    assert exhausted.detail.startswith("Nobody could be paged")
    assert "has been paged" not in exhausted.detail


def test_a_long_patient_name_never_stops_the_notification(world: Any) -> None:
    Patient.objects.filter(pk=world.patient_a.pk).update(
        legal_given_name="G" * 100, legal_family_name="F" * 100, preferred_name="P" * 100
    )
    patient = Patient.objects.get(pk=world.patient_a.pk)
    make_prescriber_of(patient, world.prescriber_a)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(patient)
    note = StaffNotification.objects.get(flag=flag, user=world.prescriber_a)
    assert len(note.text) <= 300
    assert note.text.startswith("High risk flag: FFFF") and note.text.endswith(
        f"({patient.mrn}) — you are notified as patient's prescriber."
    )
    assert FlagEscalation.objects.get(flag=flag).step == 1


# --- who can be paged, and at which number ------------------------------------------------------


def test_only_clinicians_who_can_acknowledge_go_on_the_list_the_rota_or_director(
    world: Any, as_user: Any
) -> None:
    from ketacare.safety.escalation_models import EscalationContact, SafetySettings

    admin = as_user(world.admin_a)
    r = admin.post("/safety/settings/", {"form": "list", "position_1": world.intake_a.pk})
    assert r.status_code == 400 and "can acknowledge risk flags" in r.content.decode()
    assert not EscalationContact.objects.exists()
    page = admin.get("/safety/settings/").content.decode()
    listed = page[page.index('id="escalation-list"') : page.index('id="mobiles"')]
    assert "Ivan Intake" not in listed and "Nina Nurse" in listed
    slot = {"form": "slot", "weekday": "1", "starts": "18:00", "ends": "08:00"}
    r = admin.post("/safety/rota/", {**slot, "user": world.intake_a.pk})
    assert r.status_code == 400 and "can acknowledge risk flags" in r.content.decode()
    assert not OnCallSlot.objects.exists()
    override = {"form": "override", "on_date": "2026-03-03", "starts": "00:00", "ends": "00:00"}
    r = admin.post("/safety/rota/", {**override, "user": world.admin_a.pk})
    assert r.status_code == 400 and not OnCallOverride.objects.exists()
    assert admin.post("/safety/rota/", {**slot, "user": world.nurse_a.pk}).status_code == 302
    base = {
        "form": "settings",
        "country": "US",
        "high_minutes": "15",
        "moderate_minutes": "240",
        "low_time": "09:00",
        "business_days": ["0", "1", "2", "3", "4"],
        "director": world.intake_a.pk,
    }
    r = admin.post("/safety/settings/", base)
    assert r.status_code == 400 and 'data-field="director"' in r.content.decode()
    assert not SafetySettings.objects.filter(director=world.intake_a).exists()


def test_a_mobile_number_is_refused_whole_never_cut_short(world: Any, as_user: Any) -> None:
    from ketacare.safety.escalation_models import StaffAlertContact

    admin = as_user(world.admin_a)
    long = "+1 (555) 010-0101 then ask for Paula"  # 36 characters: was cut to 30 and saved
    data = {
        "form": "mobiles",
        f"mobile_{world.nurse_a.pk}": "+1 555 010 0002",
        f"mobile_{world.prescriber_a.pk}": long,
    }
    r = admin.post("/safety/settings/", data)
    body = r.content.decode()
    assert r.status_code == 400 and "Paula Prescriber" in body and "not a mobile number" in body
    assert long in body  # what was typed stays on the page
    assert not StaffAlertContact.objects.exists()  # nothing saved, not even the good one
    assert admin.post("/safety/settings/", {**data, f"mobile_{world.prescriber_a.pk}": ""})[
        "Location"
    ].endswith("/safety/settings/")
    assert StaffAlertContact.objects.get(user=world.nurse_a).mobile == "+1 555 010 0002"


def test_a_shift_change_after_the_flag_pages_whoever_is_on_call_now(world: Any) -> None:
    """High flag at 17:59; the nurse's on-call ends at 18:00 and the prescriber's begins. At
    the first escalation the prescriber on call now is paged with list #1."""
    from tests.safety.helpers import set_list

    clinic = world.clinic_a
    OnCallSlot.objects.create(
        clinic=clinic, weekday=1, starts=time(8), ends=time(18), user=world.nurse_a
    )
    OnCallSlot.objects.create(
        clinic=clinic, weekday=1, starts=time(18), ends=time(8), user=world.prescriber_a
    )
    set_list(clinic, world.therapist_a)
    set_director(clinic, world.director_a)
    evening = utc("2026-03-03 22:59:00+00:00")  # Tuesday 17:59 in New York
    with time_machine.travel(evening, tick=False):
        flag = raise_flag(world.patient_a)
    assert _told(flag) == [("notified", "nurse@a.test", "on call")]
    with time_machine.travel(evening + timedelta(minutes=15), tick=False):
        assert escalate_due() == 1
    assert _told(flag)[1:] == [
        ("escalated", "therapist@a.test", "escalation list #1"),
        ("escalated", "prescriber@a.test", "on call now"),
    ]
    with time_machine.travel(evening + timedelta(minutes=30), tick=False):
        escalate_due()
    assert _told(flag)[-1] == ("escalated", "director@a.test", "director")
    assert len(_told(flag)) == 4  # nobody paged twice but the director's last rung


def test_the_link_in_a_page_opens_a_flag_of_another_clinic_the_clinician_works_at(
    world: Any, as_user: Any
) -> None:
    """The on-call prescriber works at both clinics and is signed in to Alpha when Beta's
    flag pages them at 2 a.m.: the link offers the switch instead of 'No such flag'."""
    from ketacare.accounts.audit import AuditEntry
    from ketacare.accounts.models import Role

    Membership.objects.create(user=world.prescriber_a, clinic=world.clinic_b, role=Role.PRESCRIBER)
    flag = raise_flag(world.patient_b)
    client = as_user(world.prescriber_a)
    client.post("/accounts/clinic/", {"clinic": world.clinic_a.pk})
    url = f"/safety/flags/{flag.pk}/"
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 409 and 'data-testid="flag-other-clinic"' in body
    assert "Beta Clinic" in body and f'value="{url}"' in body
    assert AuditEntry.objects.filter(action="safety.flag.other_clinic").exists()
    switched = client.post("/accounts/clinic/", {"clinic": world.clinic_b.pk, "next": url})
    assert switched.status_code == 302 and switched["Location"] == url
    assert client.get(url).status_code == 200
    # Someone who does not work at Beta learns nothing: 404 as before.
    assert as_user(world.nurse_a).get(url).status_code == 404
    assert as_user(world.nurse_a).post(url + "resolve/", {}).status_code == 404


def test_a_second_acknowledgment_is_told_who_acted_and_keeps_its_text(
    world: Any, as_user: Any
) -> None:
    from ketacare.safety.models import RiskFlag

    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
        url = f"/safety/flags/{flag.pk}/"
        first = as_user(world.prescriber_a).post(
            url, {"action": "called_patient", "note": "Called her, safe with her sister."}
        )
        assert first.status_code == 302
        nurse_text = "Called police for a welfare check at 02:05."
        second = as_user(world.nurse_a).post(url, {"action": "emergency", "note": nurse_text})
    body = second.content.decode()
    assert second.status_code == 400
    assert "Paula Prescriber acknowledged this flag at 2026-03-03 02:00" in body
    assert "safe with her sister" in body and nurse_text in body
    assert RiskFlag.objects.get(pk=flag.pk).acknowledged_by == world.prescriber_a


def test_the_rota_page_names_the_hours_nobody_is_on_call(world: Any, as_user: Any) -> None:
    from ketacare.safety.rota import weekly_gaps

    clinic = world.clinic_a
    assert weekly_gaps(clinic) == [(0, time(0), 0, time(0))]  # nobody at all
    for day in range(5):  # weekdays 08-18 the prescriber, nights the nurse (till 08:00)
        OnCallSlot.objects.create(
            clinic=clinic, weekday=day, starts=time(8), ends=time(18), user=world.prescriber_a
        )
        OnCallSlot.objects.create(
            clinic=clinic, weekday=day, starts=time(18), ends=time(8), user=world.nurse_a
        )
    # Saturday 08:00 to Monday 08:00 is uncovered (one gap, not cut at the week's end).
    assert weekly_gaps(clinic) == [(5, time(8), 0, time(8))]
    OnCallSlot.objects.create(
        clinic=clinic, weekday=5, starts=time(8), ends=time(8), user=world.therapist_a
    )
    OnCallSlot.objects.create(
        clinic=clinic, weekday=6, starts=time(8), ends=time(2), user=world.therapist_a
    )
    assert weekly_gaps(clinic) == [(0, time(2), 0, time(8))]  # Monday 02:00-08:00
    page = as_user(world.admin_a).get("/safety/rota/").content.decode()
    assert 'data-testid="rota-gaps"' in page and "Monday 02:00 – 08:00" in page
    # Someone who left covers nothing.
    Membership.objects.filter(user=world.nurse_a).update(is_active=False)
    assert (0, time(18), 1, time(8)) in weekly_gaps(clinic)


def test_the_rota_page_names_who_is_paged_without_a_mobile(world: Any, as_user: Any) -> None:
    from tests.safety.helpers import set_list, set_mobile

    clinic = world.clinic_a
    OnCallSlot.objects.create(
        clinic=clinic, weekday=0, starts=time(8), ends=time(18), user=world.nurse_a
    )
    set_list(clinic, world.therapist_a)
    set_director(clinic, world.director_a)
    set_mobile(world.nurse_a, "+1 555 010 0002")
    page = as_user(world.admin_a).get("/safety/rota/").content.decode()
    warning = page[page.index('data-testid="rota-no-mobile"') :]
    warning = warning[: warning.index("</div>")]
    assert "Theo Therapist" in warning and "Dora Director" in warning
    assert "Nina Nurse" not in warning
