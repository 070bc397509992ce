"""If-None-Exist / `entry.request.ifNoneExist` as FHIR search text: a comma asks for any of
several identifiers, so it cannot be one message's key (400, not a made-up key that misses the
stored message); FHIR escapes (`\\,`, `\\|`) are undone, so the key matches the Observation's
own identifier; `Observation?identifier=…` (a common way to write ifNoneExist) is taken."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.fhir.models import ReceivedObservation
from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.fhir.device_helpers import GATEWAY, observation, post

pytestmark = pytest.mark.django_db


def hr(session: TreatmentSession, **extra: Any) -> dict[str, Any]:
    return observation(session, "8867-4", 80, unit="/min", **extra)


def device(session: TreatmentSession) -> Any:
    return VitalReading.objects.filter(session=session, source="device")


def test_a_comma_list_of_identifiers_is_refused_not_stored_under_a_made_up_key(
    session: TreatmentSession, nurse: Client
) -> None:
    assert post(nurse, hr(session, identifier="m-1")).status_code == 201
    # "Any of m-1 or m-2": m-1 is stored, so storing again would be a duplicate reading.
    response = post(
        nurse, hr(session), **{"If-None-Exist": f"identifier={GATEWAY}|m-1,{GATEWAY}|m-2"}
    )
    assert response.status_code == 400, response.content
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["expression"] == ["If-None-Exist"]
    assert "comma" in body["issue"][0]["diagnostics"]
    assert device(session).count() == 1
    assert ReceivedObservation.objects.count() == 1


def test_escaped_characters_in_the_key_match_the_observation_identifier(
    session: TreatmentSession, nurse: Client
) -> None:
    resource = hr(session, identifier="bed 3,msg 7")
    header = {"If-None-Exist": f"identifier={GATEWAY}|bed 3\\,msg 7"}
    first = post(nurse, resource, **header)
    assert first.status_code == 201, first.content
    assert ReceivedObservation.objects.get().value == "bed 3,msg 7"
    # The same message again, keyed by the header alone (same reading, same time).
    resend = {name: value for name, value in resource.items() if name != "identifier"}
    again = post(nurse, resend, **header)
    assert again.status_code == 200, again.content
    assert again["Location"] == first["Location"]
    assert device(session).count() == 1


def test_a_bundle_if_none_exist_may_name_the_resource_type(
    session: TreatmentSession, nurse: Client
) -> None:
    entry = {
        "resource": hr(session, identifier="t-1"),
        "request": {
            "method": "POST",
            "url": "Observation",
            "ifNoneExist": f"Observation?identifier={GATEWAY}|t-1",
        },
    }
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
    for expected in ("201 Created", "200 OK"):
        response = nurse.post(
            "/fhir/", data=json.dumps(bundle), content_type="application/fhir+json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["entry"][0]["response"]["status"] == expected
    assert device(session).count() == 1


def test_another_resource_type_in_if_none_exist_is_refused(
    session: TreatmentSession, nurse: Client
) -> None:
    response = post(nurse, hr(session), **{"If-None-Exist": f"Patient?identifier={GATEWAY}|x"})
    assert response.status_code == 400, response.content
    assert not device(session).exists()
