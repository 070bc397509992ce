"""GET /fhir/Location[/{id}]: the clinic's treatment chairs and rooms."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.location import Location

from ketacare.accounts.audit import AuditEntry
from tests.fhir._clinical import ids, read, search
from tests.fhir._plans import chair

PHYSICAL = "http://terminology.hl7.org/CodeSystem/location-physical-type"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def test_a_chair_reads_as_a_location_with_its_capabilities(world: Any, nurse: Client) -> None:
    seat = chair(world.clinic_a, "Chair 1", has_iv_pump=True, esketamine_certified=True)
    body = read(nurse, Location, f"Location/{seat.pk}")
    assert (body["id"], body["name"], body["status"], body["mode"]) == (
        str(seat.pk),
        "Chair 1",
        "active",
        "instance",
    )
    assert body["physicalType"] == {
        "coding": [{"system": PHYSICAL, "code": "bd", "display": "Bed"}],
        "text": "Treatment chair",
    }
    assert body["description"] == (
        "Treatment chair: IV infusion pump, esketamine (REMS-certified treatment setting)."
    )
    assert body["managingOrganization"] == {"display": "Alpha Clinic"}
    assert not AuditEntry.objects.filter(action__startswith="fhir.location").exists()


def test_a_retired_room_is_inactive(world: Any, nurse: Client) -> None:
    room = chair(world.clinic_a, "Integration room", kind="room", active=False)
    body = read(nurse, Location, f"Location/{room.pk}")
    assert body["status"] == "inactive"
    assert body["physicalType"]["coding"][0]["code"] == "ro"
    assert body["description"] == "Room."


def test_search_by_name_and_status(world: Any, nurse: Client) -> None:
    one = chair(world.clinic_a, "Chair 1", sort_order=1)
    two = chair(world.clinic_a, "Chair 2", sort_order=2)
    room = chair(world.clinic_a, "Quiet room", kind="room", sort_order=3, active=False)
    assert ids(search(nurse, Location, "Location")) == [str(one.pk), str(two.pk), str(room.pk)]
    assert ids(search(nurse, Location, "Location?name=chair")) == [str(one.pk), str(two.pk)]
    assert ids(search(nurse, Location, "Location?name=QUIET")) == [str(room.pk)]
    assert ids(search(nurse, Location, "Location?status=inactive")) == [str(room.pk)]
    assert ids(search(nurse, Location, "Location?status=active&name=2")) == [str(two.pk)]
    page = search(nurse, Location, "Location?_count=1&_offset=2")
    assert ids(page) == [str(room.pk)] and page["total"] == 3


def test_another_clinics_chair_is_not_found(world: Any, nurse: Client, clinician_b: Client) -> None:
    seat = chair(world.clinic_a, "Chair 1")
    unknown = read(nurse, Location, "Location/999999", expect=404)
    assert read(clinician_b, Location, f"Location/{seat.pk}", expect=404) == unknown
    assert read(nurse, Location, "Location/chair-1", expect=404) == unknown
    assert search(clinician_b, Location, "Location")["total"] == 0
    assert search(clinician_b, Location, "Location?name=Chair")["total"] == 0


def test_bad_search_parameters_are_refused(world: Any, nurse: Client) -> None:
    body = search(nurse, Location, "Location?address=x", expect=400)
    assert "Unknown search parameter 'address'" in body["issue"][0]["diagnostics"]
    body = search(nurse, Location, "Location?name:contains=x", expect=400)
    assert "modifier" in body["issue"][0]["diagnostics"]


def test_a_resource_the_server_built_wrong_is_never_sent(
    world: Any, nurse: Client, monkeypatch: Any
) -> None:
    from ketacare.fhir import location

    seat = chair(world.clinic_a, "Chair 1")
    built = location.location_to_fhir
    monkeypatch.setattr(location, "location_to_fhir", lambda row: {**built(row), "chair": True})
    monkeypatch.setattr(
        "ketacare.fhir.views_scheduling.location_to_fhir", location.location_to_fhir
    )
    body = read(nurse, Location, f"Location/{seat.pk}", expect=500)
    assert body["issue"][0]["code"] == "exception"
    assert "invalid Location: chair" in body["issue"][0]["diagnostics"]
