"""POST QuestionnaireResponse is idempotent, as device Observations are.

The key is the response's `identifier` (system|value) or `If-None-Exist:
identifier=system|value`, unique per clinic. A resend with the same answers answers 200 with
the stored response, storing nothing and raising no second flag; the same key with other
content answers 409 naming the identifier. A refused response stores no key: its resend
joins its flag, and the corrected response is a new store that links to that flag.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import AuditEntry
from ketacare.fhir import views_measures
from ketacare.fhir.models import ReceivedResponse
from ketacare.measures.models import Assessment
from ketacare.safety.models import RiskFlag
from ketacare.treatments.models import TreatmentSession
from tests.conftest import make_patient
from tests.fhir.device_helpers import GATEWAY, observation
from tests.fhir.device_helpers import post as post_observation
from tests.fhir.test_fhir_questionnaire_response_create import FHIR_JSON, coded_response

pytestmark = pytest.mark.django_db

FORMS = "urn:ehr:forms"


def phq9(patient: Any, item9: int = 3, *, key: str | None = "f-1", **change: Any) -> dict[str, Any]:
    body = coded_response(
        patient, "phq9", {**{f"phq9-{n}": 1 for n in range(1, 9)}, "phq9-9": item9}
    )
    if key is not None:
        body["identifier"] = {"system": FORMS, "value": key}
    body.update(change)
    return body


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(
        "/fhir/QuestionnaireResponse",
        data=body if isinstance(body, str) else json.dumps(body),
        content_type=FHIR_JSON,
        headers=headers,
    )


def counts() -> tuple[int, int, int]:
    return Assessment.objects.count(), RiskFlag.objects.count(), ReceivedResponse.objects.count()


def issue(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    OperationOutcome.model_validate(response.json())
    found: dict[str, Any] = response.json()["issue"][0]
    return found


def test_a_resend_answers_200_with_the_stored_response_and_no_second_flag(
    world: Any, nurse: Client
) -> None:
    first = post(nurse, phq9(world.patient_a))
    assert first.status_code == 201, first.content
    assert counts() == (1, 1, 1)  # item 9 of 3: one high flag
    again = post(nurse, phq9(world.patient_a))
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert counts() == (1, 1, 1)
    assessment = Assessment.objects.get()
    assert RiskFlag.objects.get().assessment == assessment
    read = AuditEntry.objects.get(action="fhir.questionnaire_response.read")
    assert read.detail == {"id": f"qr-{assessment.pk}", "via": "identifier"}
    assert ReceivedResponse.objects.get().assessment == assessment


def test_the_header_is_the_key_when_the_response_has_no_identifier(
    world: Any, nurse: Client
) -> None:
    body = phq9(world.patient_a, 0, key=None)
    header = {"If-None-Exist": f"identifier={FORMS}|h-1"}
    assert post(nurse, body, **header).status_code == 201
    # The QuestionnaireResponse? prefix clients put on a conditional create is accepted.
    prefixed = {"If-None-Exist": f"QuestionnaireResponse?identifier={FORMS}|h-1"}
    assert post(nurse, body, **prefixed).status_code == 200
    assert counts() == (1, 0, 1)
    assert ReceivedResponse.objects.get().value == "h-1"
    # The identifier and the header naming the same key are one key.
    same = phq9(world.patient_a, 0, key="h-1")
    assert post(nurse, same, **header).status_code == 200


def test_the_same_key_with_other_answers_is_a_409_and_stores_nothing(
    world: Any, nurse: Client
) -> None:
    assert post(nurse, phq9(world.patient_a, 0)).status_code == 201
    before = counts()
    # A high item 9 under a reused key: refused loudly, not answered with the old response.
    found = issue(post(nurse, phq9(world.patient_a, 3)), 409)
    assert found["code"] == "duplicate"
    assert found["expression"] == ["QuestionnaireResponse.identifier"]
    stored = Assessment.objects.get()
    assert f"{FORMS}|f-1" in found["diagnostics"]
    assert f"QuestionnaireResponse/qr-{stored.pk}" in found["diagnostics"]
    assert counts() == before
    conflict = AuditEntry.objects.get(action="fhir.questionnaire_response.read")
    assert conflict.detail["via"] == "identifier-conflict"
    # Another authored time is another administration; by the header, the header is named.
    later = phq9(world.patient_a, 0, key=None, authored="2026-01-12T10:00:00-05:00")
    header = {"If-None-Exist": f"identifier={FORMS}|f-1"}
    assert issue(post(nurse, later, **header), 409)["expression"] == ["If-None-Exist"]
    # Without authored, the stored (timed) response is not the same either.
    untimed = phq9(world.patient_a, 0)
    del untimed["authored"]
    assert issue(post(nurse, untimed), 409)["code"] == "duplicate"
    assert counts() == before


def test_the_same_key_for_another_patient_of_the_clinic_is_a_409(world: Any, nurse: Client) -> None:
    other = make_patient(world.clinic_a, "Mary", "Shelley")
    assert post(nurse, phq9(world.patient_a, 0)).status_code == 201
    found = issue(post(nurse, phq9(other, 0)), 409)
    assert found["expression"] == ["QuestionnaireResponse.identifier"]
    assert not Assessment.objects.filter(patient=other).exists()


def test_a_key_already_an_observations_is_a_409_naming_it(
    world: Any, nurse: Client, session: TreatmentSession
) -> None:
    at = timezone.now() - timedelta(minutes=2)
    sent = observation(session, "8867-4", 72, unit="/min", identifier="msg-1", at=at)
    assert post_observation(nurse, sent).status_code == 201
    before = counts()  # the session's own pre-dose scales
    body = phq9(world.patient_a, 0, key=None)
    header = {"If-None-Exist": f"identifier={GATEWAY}|msg-1"}
    found = issue(post(nurse, body, **header), 409)
    assert found["expression"] == ["If-None-Exist"]
    assert "Observation/reading-" in found["diagnostics"]
    assert counts() == before
    named = AuditEntry.objects.get(action="fhir.observation.read")
    assert named.detail["via"] == "identifier-conflict"


def test_keys_are_per_clinic_and_another_clinics_patient_is_still_a_404(
    world: Any, nurse: Client, token_for: Any, api_client: Any
) -> None:
    assert post(nurse, phq9(world.patient_a, 0)).status_code == 201
    clinic_b = api_client(token_for(world.clinician_b))
    assert post(clinic_b, phq9(world.patient_b, 0)).status_code == 201
    assert ReceivedResponse.objects.count() == 2
    # Clinic A resending its key for clinic B's patient: the audited 404, no key lookup.
    response = post(nurse, phq9(world.patient_b, 0))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="patients.access.refused").exists()
    assert Assessment.objects.count() == 2


@pytest.mark.parametrize(
    "header",
    [
        "identifier=a|b,c|d",  # any of several: not one response's key
        f"identifier={FORMS}|x|y",
        "identifier=only-a-value",
        f"identifier={FORMS}|",
        "patient=Patient/1",
        "identifier=a|b&identifier=c|d",
    ],
)
def test_a_bad_if_none_exist_is_a_400_naming_the_header(
    world: Any, nurse: Client, header: str
) -> None:
    found = issue(post(nurse, phq9(world.patient_a, key=None), **{"If-None-Exist": header}), 400)
    assert found["expression"] == ["If-None-Exist"]
    assert found["diagnostics"].startswith("If-None-Exist")
    assert counts() == (0, 0, 0)


def test_an_identifier_that_cannot_be_a_key_is_a_422_naming_it(world: Any, nurse: Client) -> None:
    no_system = phq9(world.patient_a, 0, identifier={"value": "f-1"})
    found = issue(post(nurse, no_system), 422)
    assert found["expression"] == ["QuestionnaireResponse.identifier.system"]
    too_long = phq9(world.patient_a, 0, identifier={"system": FORMS, "value": "v" * 256})
    assert issue(post(nurse, too_long), 422)["expression"] == [
        "QuestionnaireResponse.identifier.value"
    ]
    header = {"If-None-Exist": f"identifier={FORMS}|other"}
    found = issue(post(nurse, phq9(world.patient_a, 0), **header), 422)
    assert found["expression"] == ["QuestionnaireResponse.identifier"]
    assert counts() == (0, 0, 0)


def test_a_refused_response_stores_no_key_and_its_correction_is_a_new_store(
    world: Any, nurse: Client
) -> None:
    refused = phq9(world.patient_a, 3, status="in-progress")
    assert post(nurse, refused).status_code == 422
    assert post(nurse, refused).status_code == 422  # the resend joins the flag
    assert counts() == (0, 1, 0)
    flag = RiskFlag.objects.get()
    corrected = post(nurse, phq9(world.patient_a, 3))
    assert corrected.status_code == 201, corrected.content
    flag.refresh_from_db()
    assert flag.assessment == Assessment.objects.get()
    # The corrected response sent again: the stored one, still one flag.
    assert post(nurse, phq9(world.patient_a, 3)).status_code == 200
    assert counts() == (1, 1, 1)


def test_a_concurrent_resend_stores_once_and_answers_with_the_winner(
    world: Any, nurse: Client
) -> None:
    """The other request stored the key between our look-up and our insert: the unique key
    refuses ours, our assessment and flag roll back, and we answer with the stored one."""
    first = post(nurse, phq9(world.patient_a))
    assert first.status_code == 201
    real = views_measures.find_stored
    calls: list[int] = []

    def late(*args: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real(*args)

    with mock.patch.object(views_measures, "find_stored", side_effect=late):
        again = post(nurse, phq9(world.patient_a))
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert len(calls) == 2
    assert counts() == (1, 1, 1)


def test_without_a_key_every_post_stores(world: Any, nurse: Client) -> None:
    body = phq9(world.patient_a, 0, key=None)
    assert post(nurse, body).status_code == 201
    assert post(nurse, body).status_code == 201
    assert counts() == (2, 0, 0)


def test_the_capability_statement_says_conditional_create(client: Client) -> None:
    resources = client.get("/fhir/metadata").json()["rest"][0]["resource"]
    qr = next(r for r in resources if r["type"] == "QuestionnaireResponse")
    assert qr["conditionalCreate"] is True
