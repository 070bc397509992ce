"""GET /fhir/metadata: a valid R4 CapabilityStatement, served without a token."""

from __future__ import annotations

from typing import Any

from django.test import Client
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome


def test_metadata_is_a_valid_r4_capability_statement_without_a_token(db: Any) -> None:
    response = Client().get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.status == "active"
    assert statement.kind == "instance"
    assert statement.fhirVersion == "4.0.1"
    assert "json" in statement.format
    assert statement.implementation.url == "http://testserver/fhir"


def test_metadata_declares_patient_read_create_and_search_with_its_parameters(db: Any) -> None:
    body = Client().get("/fhir/metadata").json()
    rest = body["rest"][0]
    assert rest["mode"] == "server"
    assert "Bearer" in rest["security"]["description"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert {i["code"] for i in patient["interaction"]} == {"read", "create", "search-type"}
    assert {p["name"] for p in patient["searchParam"]} == {"name", "birthdate", "identifier"}


def test_metadata_refuses_other_methods_with_an_operation_outcome(db: Any) -> None:
    response = Client().post("/fhir/metadata", data="{}", content_type="application/fhir+json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    outcome = OperationOutcome.model_validate(response.json())
    assert outcome.issue[0].code == "not-supported"


def test_asking_for_xml_is_not_acceptable(db: Any) -> None:
    response = Client().get("/fhir/metadata?_format=xml")
    assert response.status_code == 406
    OperationOutcome.model_validate(response.json())
    assert Client().get("/fhir/metadata?_format=json").status_code == 200


def test_unknown_fhir_paths_answer_with_an_operation_outcome(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/fhir/Basic?patient=1")  # a type this server does not serve
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "OperationOutcome"
