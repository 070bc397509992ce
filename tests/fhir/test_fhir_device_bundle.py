"""POST /fhir/ with batch and transaction Bundles of vital-signs Observations: a transaction
is all or nothing with issues naming the entry and the element; a batch answers per entry;
keys (`request.ifNoneExist` or `identifier`) make a resend store nothing; alerts as at the
chair; clinic-scoped and audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import AuditEntry
from ketacare.fhir.models import ReceivedObservation
from ketacare.treatments.models import SessionAlert, TreatmentSession, VitalReading
from tests.fhir.device_helpers import GATEWAY, checked_in, monitored, observation

pytestmark = pytest.mark.django_db


def entry(resource: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "POST", "url": "Observation"}
    if key is not None:
        request["ifNoneExist"] = f"identifier={GATEWAY}|{key}"
    return {"resource": resource, "request": request}


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def send(client: Client, body: Any) -> Any:
    return client.post("/fhir/", data=json.dumps(body), content_type="application/fhir+json")


def three(session: TreatmentSession, prefix: str = "k") -> list[dict[str, Any]]:
    return [
        entry(observation(session, "85354-9", bp=(186, 104)), f"{prefix}-1"),
        entry(observation(session, "8867-4", 80, unit="/min"), f"{prefix}-2"),
        entry(observation(session, "59408-5", 97, unit="%"), f"{prefix}-3"),
    ]


def device(session: TreatmentSession) -> Any:
    return VitalReading.objects.filter(session=session, source="device")


def test_a_transaction_stores_every_reading_with_its_alerts(
    session: TreatmentSession, nurse: Client
) -> None:
    response = send(nurse, bundle("transaction", *three(session)))
    assert response.status_code == 200, response.content
    body = response.json()
    Bundle.model_validate(body)
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 3
    assert device(session).count() == 3
    bp = device(session).get(systolic_mmhg=186)
    assert SessionAlert.objects.filter(reading=bp, code="bp_high").exists()
    for item in body["entry"]:
        read = nurse.get("/fhir/" + item["response"]["location"])
        assert read.status_code == 200
    audits = AuditEntry.objects.filter(action="treatments.session.vitals_recorded")
    assert audits.count() == 1
    assert len(audits.get().detail["readings"]) == 3
    assert ReceivedObservation.objects.count() == 3


def test_a_resent_transaction_stores_nothing_more(session: TreatmentSession, nurse: Client) -> None:
    entries = three(session)  # a resend is the same message: same readings, same times
    first = send(nurse, bundle("transaction", *entries))
    again = send(nurse, bundle("transaction", *entries))
    assert again.status_code == 200
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 3
    assert [e["response"]["location"] for e in again.json()["entry"]] == [
        e["response"]["location"] for e in first.json()["entry"]
    ]
    assert device(session).count() == 3


def test_a_key_repeated_inside_a_bundle_is_stored_once(
    session: TreatmentSession, nurse: Client
) -> None:
    hr = observation(session, "8867-4", 80, unit="/min")
    response = send(nurse, bundle("transaction", entry(hr, "dup"), entry(hr, "dup")))
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert statuses == ["201 Created", "200 OK"]
    assert device(session).count() == 1


def test_one_bad_entry_refuses_the_whole_transaction_naming_it(
    session: TreatmentSession, nurse: Client
) -> None:
    entries = three(session)
    entries[1] = entry(observation(session, "59408-5", 140, unit="%"))
    response = send(nurse, bundle("transaction", *entries))
    assert response.status_code == 422
    outcome = response.json()
    OperationOutcome.model_validate(outcome)
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1].resource.valueQuantity.value"]
    assert not device(session).exists()
    assert not ReceivedObservation.objects.exists()


def test_a_session_problem_found_while_storing_rolls_everything_back(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    from tests.conftest import make_patient

    other = make_patient(session.clinic, "Zed", "Waiting")
    waiting = checked_in(world.prescriber_a, world.nurse_a, other, "Chair 2")
    entries = [*three(session), entry(observation(waiting, "8867-4", 70, unit="/min"))]
    response = send(nurse, bundle("transaction", *entries))
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[3].resource.encounter"]
    assert not VitalReading.objects.filter(source="device").exists()
    assert not SessionAlert.objects.exists()
    assert not AuditEntry.objects.filter(action="treatments.session.vitals_recorded").exists()


def test_a_batch_answers_each_entry_and_keeps_the_good_ones(
    session: TreatmentSession, nurse: Client
) -> None:
    entries = three(session)
    entries[1] = entry(observation(session, "8867-4", 72, unit="mm[Hg]"), "bad")
    entries.append({"request": {"method": "PUT", "url": "Observation/x"}})
    response = send(nurse, bundle("batch", *entries))
    assert response.status_code == 200
    body = response.json()
    Bundle.model_validate(body)
    assert body["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    created, refused = "201 Created", "422 Unprocessable Entity"
    assert statuses == [created, refused, created, refused]
    outcome = body["entry"][1]["response"]["outcome"]
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1].resource.valueQuantity.code"]
    assert device(session).count() == 2
    assert not ReceivedObservation.objects.filter(value="bad").exists()


def test_readings_of_two_sessions_in_one_bundle(world: Any, nurse: Client) -> None:
    from tests.conftest import make_patient

    first = monitored(world.prescriber_a, world.nurse_a, world.patient_a)
    second = monitored(
        world.prescriber_a, world.nurse_a, make_patient(first.clinic, "Bea", "Second"), "Chair 2"
    )
    response = send(
        nurse,
        bundle(
            "batch",
            entry(observation(first, "8867-4", 70, unit="/min")),
            entry(observation(second, "8867-4", 130, unit="/min")),
        ),
    )
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["201 Created"] * 2
    assert SessionAlert.objects.filter(session=second, code="hr_out_of_range").exists()
    assert not SessionAlert.objects.filter(session=first).exists()
    assert AuditEntry.objects.filter(action="treatments.session.vitals_recorded").count() == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, 422),
        ({"resourceType": "Observation"}, 400),
        ([], 400),
        ({"resourceType": "Bundle", "type": "batch", "entry": {}}, 400),
    ],
)
def test_what_is_not_a_batch_or_transaction_is_refused(
    nurse: Client, body: Any, status: int
) -> None:
    response = send(nurse, body)
    assert response.status_code == status
    OperationOutcome.model_validate(response.json())


def test_an_entry_other_than_post_observation_refuses_a_transaction(
    session: TreatmentSession, nurse: Client
) -> None:
    wrong = {"resource": observation(session, "8867-4", 70, unit="/min")}
    wrong["request"] = {"method": "PUT", "url": "Observation/1"}
    response = send(nurse, bundle("transaction", *three(session), wrong))
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[3].request"]
    assert not device(session).exists()


def test_another_clinics_session_in_a_transaction_is_not_found(
    world: Any, session: TreatmentSession, token_for: Any, api_client: Any
) -> None:
    clinician_b = api_client(token_for(world.clinician_b))
    response = send(clinician_b, bundle("transaction", *three(session)))
    assert response.status_code == 404
    assert not device(session).exists()
    refused = AuditEntry.objects.filter(action="patients.access.refused").last()
    assert refused is not None and refused.actor_id == world.clinician_b.pk


def test_another_clinics_session_in_a_batch_is_not_found_per_entry(
    world: Any, session: TreatmentSession, token_for: Any, api_client: Any
) -> None:
    clinician_b = api_client(token_for(world.clinician_b))
    response = send(clinician_b, bundle("batch", *three(session)))
    assert response.status_code == 200
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["404 Not Found"] * 3
    assert not device(session).exists()


def test_roles_and_tokens(world: Any, session: TreatmentSession, token_for: Any, api_client: Any):
    therapist = api_client(token_for(world.therapist_a))
    assert send(therapist, bundle("transaction", *three(session))).status_code == 403
    assert send(Client(), bundle("transaction", *three(session))).status_code == 401
    assert not device(session).exists()


def test_the_query_count_does_not_grow_with_the_bundle(
    session: TreatmentSession, nurse: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int, prefix: str) -> int:
        entries = [
            entry(observation(session, "8867-4", 70 + i % 20, unit="/min"), f"{prefix}-{i}")
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            response = send(nurse, bundle("transaction", *entries))
        assert response.status_code == 200
        return len(captured.captured_queries)

    send(nurse, bundle("transaction"))  # the token's first use writes its last-used time
    small, large = queries(3, "s"), queries(30, "l")
    assert small == large
    assert device(session).count() == 33


def test_one_observation_takes_a_handful_of_queries(
    session: TreatmentSession, nurse: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.fhir.device_helpers import post

    send(nurse, bundle("transaction"))  # the token's first use writes its last-used time
    with CaptureQueriesContext(connection) as captured:
        response = post(nurse, observation(session, "8867-4", 72, unit="/min", identifier="q"))
    assert response.status_code == 201
    # token with its membership, key probe; lock (with the plan's protocol and the clinic's
    # settings), standing readings, insert, open alerts, key insert, audit (3); plus the
    # transaction's own savepoint pair in the test.
    assert len(captured.captured_queries) <= 12, [q["sql"][:60] for q in captured.captured_queries]
