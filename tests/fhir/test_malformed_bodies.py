"""Bodies Python's JSON reader chokes on, or reads into values nothing can hold: nesting deeper
than any resource, integer literals beyond a float's range (or Python's 4,300-digit limit), and
strings holding half a UTF-16 surrogate pair. Every FHIR write endpoint refuses them as it reads
the body (400 OperationOutcome naming where, when it can), never a 500, and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.fhir.models import ReceivedObservation
from ketacare.measures.models import Assessment
from ketacare.patients.models import Patient
from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.fhir.device_helpers import GATEWAY, observation

pytestmark = pytest.mark.django_db

DEEP = "[" * 3000 + "]" * 3000
HUGE = ["1" + "0" * 400, "1" + "0" * 5000, "-" + "9" * 309]


def post(client: Client, url: str, text: str) -> tuple[int, dict[str, Any]]:
    response = client.post(url, data=text, content_type="application/fhir+json")
    # What is echoed back must be UTF-8 JSON, whatever the body held.
    return response.status_code, json.loads(response.content.decode("utf-8"))


def issue(status: int, body: dict[str, Any], expected: int = 400) -> dict[str, Any]:
    assert status == expected, body
    OperationOutcome.model_validate(body)
    assert len(body["issue"]) == 1, body
    first: dict[str, Any] = body["issue"][0]
    return first


def heart_rate(session: TreatmentSession, **extra: Any) -> dict[str, Any]:
    return observation(session, "8867-4", 12345, unit="/min", identifier="msg-1", **extra)


def bundle(kind: str, resource: dict[str, Any], **request: str) -> dict[str, Any]:
    entry = {"request": {"method": "POST", "url": "Observation", **request}, "resource": resource}
    return {"resourceType": "Bundle", "type": kind, "entry": [entry]}


def nothing_stored(session: TreatmentSession) -> bool:
    device = VitalReading.objects.filter(session=session, source="device")
    return not device.exists() and not ReceivedObservation.objects.exists()


# --- nesting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/fhir/Observation", "/fhir/"])
def test_a_body_nested_thousands_deep_is_400_not_a_recursion_error(
    session: TreatmentSession, nurse: Client, url: str
) -> None:
    found = issue(*post(nurse, url, DEEP))
    assert found["code"] == "structure"
    assert "more than 100 levels deep" in found["diagnostics"]
    assert nothing_stored(session)


def test_deep_nesting_inside_an_observation_is_named_where_it_passes_the_limit(
    session: TreatmentSession, nurse: Client
) -> None:
    resource = heart_rate(session)
    resource["note"] = [{"text": "DEEP"}]
    text = json.dumps(resource).replace('"DEEP"', "[" * 150 + "]" * 150)
    found = issue(*post(nurse, "/fhir/Observation", text))
    assert found["code"] == "structure"
    assert found["expression"][0].startswith("Observation.note[0].text[0][0]")
    assert nothing_stored(session)


@pytest.mark.parametrize("kind", ["batch", "transaction"])
def test_deep_nesting_in_a_bundle_entry_is_named_and_nothing_is_stored(
    session: TreatmentSession, nurse: Client, kind: str
) -> None:
    body = bundle(kind, heart_rate(session))
    body["entry"][0]["resource"]["note"] = [{"text": "DEEP"}]
    text = json.dumps(body).replace('"DEEP"', '{"a":' * 150 + "1" + "}" * 150)
    found = issue(*post(nurse, "/fhir/", text))
    assert found["code"] == "structure"
    assert found["expression"][0].startswith("Bundle.entry[0].resource.note[0].text.a.a")
    assert nothing_stored(session)


def test_ordinary_nesting_still_passes(session: TreatmentSession, nurse: Client) -> None:
    resource = observation(session, "8867-4", 80, unit="/min", identifier="msg-1")
    status, _ = post(nurse, "/fhir/", json.dumps(bundle("transaction", resource)))
    assert status == 200
    assert VitalReading.objects.filter(session=session, source="device").count() == 1


# --- huge integers ---------------------------------------------------------------------------


@pytest.mark.parametrize("literal", HUGE, ids=["1e400", "5001-digits", "-1e309"])
def test_an_integer_beyond_a_float_is_refused_naming_the_value(
    session: TreatmentSession, nurse: Client, literal: str
) -> None:
    text = json.dumps(heart_rate(session)).replace("12345", literal)
    found = issue(*post(nurse, "/fhir/Observation", text))
    assert found["code"] == "value"
    assert found["expression"] == ["Observation.valueQuantity.value"]
    # Named by its first digits and length, not echoed in full.
    assert f"({len(literal)} characters) is not a number" in found["diagnostics"]
    assert len(found["diagnostics"]) < 200
    assert nothing_stored(session)


@pytest.mark.parametrize("kind", ["batch", "transaction"])
@pytest.mark.parametrize("literal", HUGE, ids=["1e400", "5001-digits", "-1e309"])
def test_an_integer_beyond_a_float_in_a_bundle_entry_is_named(
    session: TreatmentSession, nurse: Client, kind: str, literal: str
) -> None:
    good = observation(session, "8867-4", 80, unit="/min", identifier="msg-0")
    body = bundle(kind, good)
    body["entry"].append(bundle(kind, heart_rate(session))["entry"][0])
    found = issue(*post(nurse, "/fhir/", json.dumps(body).replace("12345", literal)))
    assert found["code"] == "value"
    assert found["expression"] == ["Bundle.entry[1].resource.valueQuantity.value"]
    assert nothing_stored(session)  # not even the good entry of a batch: the body is unreadable


@pytest.mark.parametrize("url", ["/fhir/Observation", "/fhir/"])
def test_a_large_integer_a_float_can_hold_is_422_not_a_possible_value(
    session: TreatmentSession, nurse: Client, url: str
) -> None:
    resource = heart_rate(session)
    body = resource if url.endswith("Observation") else bundle("transaction", resource)
    text = json.dumps(body).replace("12345", "1" + "0" * 300)
    found = issue(*post(nurse, url, text), expected=422)
    prefix = "Observation" if url.endswith("Observation") else "Bundle.entry[0].resource"
    assert found["expression"] == [f"{prefix}.valueQuantity.value"]
    assert "1.000E+300 is not a possible heart rate" in found["diagnostics"]
    assert nothing_stored(session)


# --- lone surrogates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "escape"),
    [
        ("identifier[0].value", "\\ud800"),
        ("valueQuantity.code", "\\ud800"),  # was echoed in the wrong-unit 422: unencodable
        ("code.text", "\\udc80"),
        ("note[0].text", "\\udfff"),
    ],
)
def test_a_lone_surrogate_in_an_observation_is_400_naming_the_element(
    session: TreatmentSession, nurse: Client, element: str, escape: str
) -> None:
    resource = heart_rate(session, note=[{"text": "a note"}])
    places = {
        "identifier[0].value": resource["identifier"][0],
        "valueQuantity.code": resource["valueQuantity"],
        "code.text": resource["code"],
        "note[0].text": resource["note"][0],
    }
    places[element][element.rsplit(".", 1)[1]] = "SURR"
    text = json.dumps(resource).replace("SURR", f"abc{escape}def")
    found = issue(*post(nurse, "/fhir/Observation", text))
    assert found["code"] == "structure"
    assert found["expression"] == [f"Observation.{element}"]
    assert "not valid Unicode text" in found["diagnostics"]
    assert escape in found["diagnostics"]  # the escape itself, as text that can be sent back
    assert nothing_stored(session)


def test_a_lone_surrogate_in_a_property_name_is_named_by_its_escape(
    session: TreatmentSession, nurse: Client
) -> None:
    text = json.dumps(heart_rate(session)).replace('"status"', '"st\\ud800atus"')
    found = issue(*post(nurse, "/fhir/Observation", text))
    assert found["expression"] == ["Observation.st\\ud800atus"]
    assert nothing_stored(session)


@pytest.mark.parametrize("kind", ["batch", "transaction"])
@pytest.mark.parametrize(
    ("element", "escape"),
    [
        ("request.ifNoneExist", "\\udc80"),
        ("resource.identifier[0].value", "\\ud800"),
        ("resource.valueQuantity.code", "\\udbff"),
    ],
)
def test_a_lone_surrogate_in_a_bundle_entry_is_400_naming_the_element(
    session: TreatmentSession, nurse: Client, kind: str, element: str, escape: str
) -> None:
    resource = observation(session, "8867-4", 80, unit="/min", identifier="msg-1")
    body = bundle(kind, resource, ifNoneExist=f"identifier={GATEWAY}|msg-1")
    entry = body["entry"][0]
    if element == "request.ifNoneExist":
        entry["request"]["ifNoneExist"] = f"identifier={GATEWAY}|SURR"
    elif element == "resource.identifier[0].value":
        del entry["request"]["ifNoneExist"]
        entry["resource"]["identifier"][0]["value"] = "SURR"
    else:
        entry["resource"]["valueQuantity"]["code"] = "SURR"
    found = issue(*post(nurse, "/fhir/", json.dumps(body).replace("SURR", f"m{escape}")))
    assert found["code"] == "structure"
    assert found["expression"] == [f"Bundle.entry[0].{element}"]
    assert escape in found["diagnostics"]
    assert nothing_stored(session)


def test_a_surrogate_pair_is_one_character_and_is_stored(
    session: TreatmentSession, nurse: Client
) -> None:
    resource = observation(session, "8867-4", 80, unit="/min", identifier="PAIR")
    text = json.dumps(resource).replace("PAIR", "msg-\\ud83d\\ude00")
    status, _ = post(nurse, "/fhir/Observation", text)
    assert status == 201
    assert ReceivedObservation.objects.get().value == "msg-\U0001f600"


# --- the other endpoints that read a body ----------------------------------------------------


@pytest.mark.parametrize(
    ("url", "resource_type"),
    [("/fhir/Patient", "Patient"), ("/fhir/QuestionnaireResponse", "QuestionnaireResponse")],
)
def test_patient_and_questionnaire_response_refuse_the_same_bodies(
    world: Any, token_for: Any, api_client: Any, url: str, resource_type: str
) -> None:
    client = api_client(token_for(world.prescriber_a))
    before = Patient.objects.count(), Assessment.objects.count()
    found = issue(*post(client, url, DEEP))
    assert "levels deep" in found["diagnostics"]
    literal = "1" + "0" * 5000
    text = f'{{"resourceType": "{resource_type}", "extension": [{{"valueInteger": {literal}}}]}}'
    found = issue(*post(client, url, text))
    assert found["expression"] == [f"{resource_type}.extension[0].valueInteger"]
    text = f'{{"resourceType": "{resource_type}", "language": "en\\ud800"}}'
    found = issue(*post(client, url, text))
    assert found["expression"] == [f"{resource_type}.language"]
    assert (Patient.objects.count(), Assessment.objects.count()) == before
