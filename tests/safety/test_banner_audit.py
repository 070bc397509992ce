"""The banner names patients on every staff page and on its 15-second poll. Each patient whose
flag or chair alert appears on someone's banner leaves an audit entry for that person, once
per sign-in, not once per poll: a new entry when something new of theirs appears, none while
the banner shows the same things."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.middleware import SESSION_CLINIC_KEY
from ketacare.accounts.models import Membership, Role
from ketacare.portal.access_log import access_log, describe
from ketacare.safety.escalation import do_acknowledge
from tests.conftest import make_patient
from tests.safety.helpers import SYSTEM, raise_flag
from tests.treatments.session_helpers import escalated_alert

pytestmark = pytest.mark.django_db

ACTION = "safety.banner.viewed"


def _entries(user: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=ACTION, actor_id=user.pk).order_by("seq"))


def _poll(client: Client) -> None:
    response = client.get("/safety/banner/", HTTP_X_KETACARE_PASSIVE="1")
    assert response.status_code == 200


def test_a_flag_on_the_banner_is_audited_once_per_patient_not_per_poll(
    world: Any, as_user: Any
) -> None:
    flag = raise_flag(world.patient_a, level="high")
    nurse = as_user(world.nurse_a)

    _poll(nurse)
    _poll(nurse)
    _poll(nurse)

    entries = _entries(world.nurse_a)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.clinic_id == world.clinic_a.pk
    assert entry.actor_role == Role.NURSE
    assert entry.detail == {
        "via": "poll",
        "new": [f"flag:{flag.pk}"],
        "flags": [flag.pk],
        "chair_alerts": [],
    }


def test_only_the_patient_with_something_new_gets_an_entry(world: Any, as_user: Any) -> None:
    raise_flag(world.patient_a, level="high")
    nurse = as_user(world.nurse_a)
    _poll(nurse)
    other = make_patient(world.clinic_a, given="Grace", family="Hopper")

    second = raise_flag(other, level="moderate")
    _poll(nurse)

    entries = _entries(world.nurse_a)
    assert [e.patient_id for e in entries] == [str(world.patient_a.pk), str(other.pk)]
    assert entries[1].detail["new"] == [f"flag:{second.pk}"]

    # A second flag for a patient already shown is new content about them: one more entry.
    third = raise_flag(world.patient_a, level="moderate")
    _poll(nurse)
    entries = _entries(world.nurse_a)
    assert len(entries) == 3
    assert entries[2].patient_id == str(world.patient_a.pk)
    assert entries[2].detail["new"] == [f"flag:{third.pk}"]
    assert len(entries[2].detail["flags"]) == 2


def test_a_flag_taken_off_the_banner_writes_nothing(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a, level="high")
    kept = raise_flag(make_patient(world.clinic_a, given="Grace", family="Hopper"))
    nurse = as_user(world.nurse_a)
    _poll(nurse)
    assert len(_entries(world.nurse_a)) == 2

    do_acknowledge(
        SYSTEM, world.prescriber_a, flag, "called_patient", "Called her, she is safe at home."
    )
    _poll(nurse)

    assert len(_entries(world.nurse_a)) == 2
    assert kept.pk  # still shown, already audited


def test_the_page_itself_audits_what_its_banner_shows(world: Any, as_user: Any) -> None:
    raise_flag(world.patient_a, level="high")
    nurse = as_user(world.nurse_a)

    assert nurse.get("/patients/").status_code == 200
    _poll(nurse)  # the same banner: nothing new

    entries = _entries(world.nurse_a)
    assert len(entries) == 1 and entries[0].detail["via"] == "page"


def test_each_person_and_each_sign_in_has_its_own_entry(world: Any, as_user: Any) -> None:
    raise_flag(world.patient_a, level="high")
    _poll(as_user(world.nurse_a))
    _poll(as_user(world.prescriber_a))
    _poll(as_user(world.nurse_a))  # a new sign-in: a new session

    assert len(_entries(world.nurse_a)) == 2
    assert len(_entries(world.prescriber_a)) == 1


def test_an_escalated_chair_alert_on_the_banner_is_audited(world: Any, as_user: Any) -> None:
    alert = escalated_alert(world)

    _poll(as_user(world.prescriber_a))

    (entry,) = _entries(world.prescriber_a)
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail["chair_alerts"] == [alert.pk]
    assert entry.detail["new"] == [f"chair_alert:{alert.pk}"]


def test_an_empty_banner_writes_nothing(world: Any, as_user: Any) -> None:
    _poll(as_user(world.nurse_a))
    assert _entries(world.nurse_a) == []


def test_switching_clinic_audits_the_other_clinics_banner_there(world: Any) -> None:
    Membership.objects.create(user=world.nurse_a, clinic=world.clinic_b, role=Role.NURSE)
    raise_flag(world.patient_a, level="high")
    raise_flag(world.patient_b, level="high")
    client = Client()
    client.force_login(world.nurse_a)
    session = client.session
    session[SESSION_CLINIC_KEY] = world.clinic_a.pk
    session.save()
    _poll(client)

    session = client.session
    session[SESSION_CLINIC_KEY] = world.clinic_b.pk
    session.save()
    _poll(client)

    entries = _entries(world.nurse_a)
    assert [(e.clinic_id, e.patient_id) for e in entries] == [
        (world.clinic_a.pk, str(world.patient_a.pk)),
        (world.clinic_b.pk, str(world.patient_b.pk)),
    ]


def test_the_patient_sees_it_in_who_looked_at_my_record(world: Any, as_user: Any) -> None:
    raise_flag(world.patient_a, level="high")
    _poll(as_user(world.nurse_a))

    assert describe(ACTION) == "Looked at a safety alert about you"
    rows = [r for r in access_log(world.patient_a) if r.what == describe(ACTION)]
    assert len(rows) == 1 and rows[0].who == world.nurse_a.display_name


def test_the_poll_still_does_not_keep_an_idle_session_alive(world: Any, as_user: Any) -> None:
    from ketacare.accounts.middleware import SESSION_LAST_SEEN_KEY

    raise_flag(world.patient_a, level="high")
    nurse = as_user(world.nurse_a)
    nurse.get("/patients/")
    before = nurse.session[SESSION_LAST_SEEN_KEY]
    raise_flag(make_patient(world.clinic_a, given="Grace", family="Hopper"))

    _poll(nurse)  # writes the seen-list into the session

    assert nurse.session[SESSION_LAST_SEEN_KEY] == before
    assert len(_entries(world.nurse_a)) == 2
