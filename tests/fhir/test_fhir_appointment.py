"""GET /fhir/Appointment[/{id}]: appointments with the patient, clinician and chair as
participants, the plan as supporting information."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.appointment import Appointment

from ketacare.accounts.audit import AuditEntry
from tests.fhir._clinical import ids, read, search
from tests.fhir._plans import appointment, at, chair, plan_row


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def test_a_treatment_session_reads_as_an_appointment(world: Any, nurse: Client) -> None:
    plan = plan_row(world.prescriber_a, world.patient_a, status="active")
    room = chair(world.clinic_a, "Chair 3", has_iv_pump=True)
    booked = appointment(
        world.patient_a,
        at(3, 9),
        plan=plan,
        phase="induction",
        session_number=2,
        resource=room,
        clinician=world.prescriber_a,
    )
    body = read(nurse, Appointment, f"Appointment/{booked.pk}")
    assert (body["id"], body["status"]) == (str(booked.pk), "booked")
    assert (body["start"], body["end"]) == ("2026-03-03T09:00:00.000Z", "2026-03-03T11:00:00.000Z")
    assert body["minutesDuration"] == 120
    assert body["serviceType"] == [{"text": "Treatment session"}]
    assert body["appointmentType"]["coding"][0]["code"] == "ROUTINE"
    assert body["description"] == "Treatment session, session 2 (induction)"
    assert body["supportingInformation"] == [{"reference": f"CarePlan/{plan.pk}"}]
    patient, clinician, location = body["participant"]
    assert patient == {
        "actor": {"reference": f"Patient/{world.patient_a.pk}"},
        "required": "required",
        "status": "needs-action",  # not confirmed yet
    }
    assert clinician["actor"] == {"display": "Paula Prescriber"}
    assert clinician["type"][0]["coding"][0]["code"] == "ATND"
    assert location["actor"] == {"reference": f"Location/{room.pk}", "display": "Chair 3"}
    # app-1: every participant has an actor.
    assert all("actor" in p for p in body["participant"])
    entry = AuditEntry.objects.get(action="fhir.appointment.read")
    assert entry.patient_id == str(world.patient_a.pk)


@pytest.mark.parametrize(
    ("ours", "theirs", "patient_status"),
    [
        ("booked", "booked", "needs-action"),
        ("confirmed", "booked", "accepted"),
        ("checked_in", "checked-in", "accepted"),
        ("completed", "fulfilled", "accepted"),
        ("cancelled", "cancelled", "needs-action"),
        ("no_show", "noshow", "needs-action"),
    ],
)
def test_status_maps_to_appointment_status(
    world: Any, nurse: Client, ours: str, theirs: str, patient_status: str
) -> None:
    booked = appointment(world.patient_a, at(3), status=ours, status_reason="Flu")
    body = read(nurse, Appointment, f"Appointment/{booked.pk}")
    assert body["status"] == theirs
    assert body["participant"][0]["status"] == patient_status
    if ours == "cancelled":
        assert body["cancelationReason"] == {"text": "Flu"} and "comment" not in body
    else:
        assert "cancelationReason" not in body and body["comment"] == "Flu"


def test_a_follow_up_by_telehealth_has_no_location(world: Any, nurse: Client) -> None:
    booked = appointment(world.patient_a, at(3), minutes=30, type="follow_up")
    body = read(nurse, Appointment, f"Appointment/{booked.pk}")
    assert body["appointmentType"]["coding"][0]["code"] == "FOLLOWUP"
    assert [p["actor"]["reference"] for p in body["participant"]] == [
        f"Patient/{world.patient_a.pk}"
    ]
    assert "supportingInformation" not in body


def test_search_by_patient_date_status_and_location(world: Any, nurse: Client) -> None:
    one, two = chair(world.clinic_a, "Chair 1"), chair(world.clinic_a, "Chair 2")
    march_3 = appointment(world.patient_a, at(3), resource=one)
    march_5 = appointment(world.patient_a, at(5), resource=two, status="completed")
    april_1 = appointment(world.patient_a, at(1, month=4), resource=one, status="cancelled")
    other = make_other_patient(world)
    theirs = appointment(other, at(4), resource=two)
    everyone = ids(search(nurse, Appointment, "Appointment"))
    assert everyone == [str(a.pk) for a in (march_3, theirs, march_5, april_1)]
    mine = ids(search(nurse, Appointment, f"Appointment?patient={world.patient_a.pk}"))
    assert mine == [str(march_3.pk), str(march_5.pk), str(april_1.pk)]
    march = ids(search(nurse, Appointment, "Appointment?date=2026-03"))
    assert march == [str(march_3.pk), str(theirs.pk), str(march_5.pk)]
    window = "Appointment?date=ge2026-03-04&date=lt2026-04-01"
    assert ids(search(nurse, Appointment, window)) == [str(theirs.pk), str(march_5.pk)]
    zoned = "Appointment?date=ge2026-03-05T09:00:00%2B00:00"
    assert ids(search(nurse, Appointment, zoned)) == [str(march_5.pk), str(april_1.pk)]
    assert ids(search(nurse, Appointment, "Appointment?status=fulfilled")) == [str(march_5.pk)]
    assert ids(search(nurse, Appointment, "Appointment?status=cancelled")) == [str(april_1.pk)]
    at_one = ids(search(nurse, Appointment, f"Appointment?location=Location/{one.pk}"))
    assert at_one == [str(march_3.pk), str(april_1.pk)]
    assert ids(search(nurse, Appointment, f"Appointment?location={two.pk}")) == [
        str(theirs.pk),
        str(march_5.pk),
    ]
    assert ids(search(nurse, Appointment, "Appointment?location=chair-1")) == []


def make_other_patient(world: Any) -> Any:
    from tests.conftest import make_patient

    return make_patient(world.clinic_a, "Mary", "Shelley")


def test_another_clinics_appointment_is_not_found(
    world: Any, nurse: Client, clinician_b: Client
) -> None:
    room = chair(world.clinic_a)
    booked = appointment(world.patient_a, at(3), resource=room)
    unknown = read(nurse, Appointment, f"Appointment/{uuid.uuid4()}", expect=404)
    assert read(clinician_b, Appointment, f"Appointment/{booked.pk}", expect=404) == unknown
    assert read(nurse, Appointment, "Appointment/123", expect=404) == unknown
    for query in (
        f"?patient={world.patient_a.pk}",
        "",
        "?date=2026-03-03",
        f"?location={room.pk}",
    ):
        empty = search(clinician_b, Appointment, f"Appointment{query}")
        assert empty["total"] == 0 and "entry" not in empty
    refused = AuditEntry.objects.filter(action="patients.access.refused", object_type="appointment")
    assert refused.count() == 3


def test_bad_search_parameters_are_refused(world: Any, nurse: Client) -> None:
    cases = {
        "Appointment?actor=x": "Unknown search parameter 'actor'",
        "Appointment?date=2026-13-01": "'date'",
        "Appointment?date=yesterday": "'date'",
        "Appointment?date=sa2026-03-01": "prefix 'sa'",
        "Appointment?status=booked,noshow": "'status'",
        "Appointment?location=Location/1/_history/2": "'location'",
        "Appointment?patient=Patient/x/y": "'patient'",
    }
    for path, named in cases.items():
        body = search(nurse, Appointment, path, expect=400)
        assert named in body["issue"][0]["diagnostics"], path
