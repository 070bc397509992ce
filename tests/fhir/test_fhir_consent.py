"""GET /fhir/Consent[/{id}]: treatment consents, with the REMS enrolment on esketamine ones."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.consent import Consent

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.evaluations.actions import do_record_consent, do_record_rems_enrollment
from tests.fhir._clinical import ids, read, search

ACTOR = Actor(label="test")


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def consent(patient: Any, route: str, signed_on: date, **extra: Any) -> Any:
    data = {
        "route": route,
        "version": "2026.1",
        "risks_discussed": ["dissociation", "sedation"],
        "patient_signature_name": "Ada Lovelace",
        "signed_on": signed_on,
        "off_label_disclosed": route != "esketamine_nasal",
        **extra,
    }
    return do_record_consent(ACTOR, patient, data)


def test_an_iv_consent_reads_as_a_treatment_consent(world: Any, nurse: Client) -> None:
    signed = consent(world.patient_a, "iv_racemic", date(2026, 1, 5), witness_name="Nina Nurse")
    body = read(nurse, Consent, f"Consent/consent-{signed.pk}")
    assert body["status"] == "active"
    assert body["scope"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
        "code": "treatment",
        "display": "Treatment",
    }
    assert body["category"][0]["coding"][0] == {"system": "http://loinc.org", "code": "59284-0"}
    assert body["patient"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert body["dateTime"] == "2026-01-05"
    assert body["performer"][0]["display"] == "Ada Lovelace"
    assert body["policy"] == [{"uri": "urn:ketacare:consent-text:iv_racemic:2026.1"}]
    assert "2026.1" in body["policyRule"]["text"]
    texts = [c["text"] for c in body["provision"]["code"]]
    assert texts[0] == "Treatment: IV racemic ketamine (off-label)"
    assert "Off-label use of racemic ketamine disclosed" in texts
    assert "Risk discussed: Sedation" in texts
    assert body["provision"]["type"] == "permit"
    assert body["verification"][0]["verifiedWith"]["display"] == "Witness: Nina Nurse"
    assert "identifier" not in body
    entry = AuditEntry.objects.get(action="fhir.consent.read")
    assert entry.patient_id == str(world.patient_a.pk)


def test_an_esketamine_consent_carries_the_rems_enrolment(world: Any, nurse: Client) -> None:
    signed = consent(world.patient_a, "esketamine_nasal", date(2026, 1, 6))
    body = read(nurse, Consent, f"Consent/consent-{signed.pk}")
    assert "identifier" not in body  # not enrolled yet
    do_record_rems_enrollment(ACTOR, world.patient_a, "REMS-12345", date(2026, 1, 6))
    body = read(nurse, Consent, f"Consent/consent-{signed.pk}")
    assert body["identifier"][0]["value"] == "REMS-12345"
    assert body["identifier"][0]["system"] == "urn:ketacare:clinic:alpha-clinic:spravato-rems"
    assert body["identifier"][0]["period"] == {"start": "2026-01-06"}
    texts = [c["text"] for c in body["provision"]["code"]]
    assert "Off-label use of racemic ketamine disclosed" not in texts


def test_search_by_patient_newest_first_with_isolation(
    world: Any, nurse: Client, clinician_b: Client
) -> None:
    older = consent(world.patient_a, "iv_racemic", date(2026, 1, 5))
    newer = consent(world.patient_a, "esketamine_nasal", date(2026, 2, 5))
    bundle = search(nurse, Consent, f"Consent?patient={world.patient_a.pk}")
    assert ids(bundle) == [f"consent-{newer.pk}", f"consent-{older.pk}"]
    page = search(nurse, Consent, f"Consent?patient={world.patient_a.pk}&_count=1&_offset=1")
    assert ids(page) == [f"consent-{older.pk}"] and page["total"] == 2
    for query in (f"?patient={world.patient_a.pk}", ""):
        empty = search(clinician_b, Consent, f"Consent{query}")
        assert empty["total"] == 0 and "entry" not in empty
    unknown = read(nurse, Consent, "Consent/consent-999999", expect=404)
    assert read(clinician_b, Consent, f"Consent/consent-{older.pk}", expect=404) == unknown
    entry = AuditEntry.objects.filter(
        action="fhir.consent.searched", actor_id=world.nurse_a.pk
    ).first()
    assert entry is not None and entry.patient_id == str(world.patient_a.pk)
