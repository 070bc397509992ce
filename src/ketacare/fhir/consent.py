"""Informed consent for treatment → FHIR R4 Consent.

- `id` = `consent-{pk}`, `status` active, `scope` treatment (consentscope), `category` LOINC
  59284-0 (the R4 consent-category example set's patient consent code; no display is given
  because shared/reference does not state it).
- `patient`, `dateTime` = the day signed, `performer` = the patient (display = the name
  signed), `organization.display` = the clinic.
- `policy.uri` = `urn:ketacare:consent-text:{route}:{version}` and `policyRule.text` = the
  consent text version (R4 requires a policy or a policyRule).
- `provision` (type permit): `code` texts = the route, "Off-label use of racemic ketamine
  disclosed" when it was, and each risk discussed.
- `verification` names the witness, when there was one.
- REMS: the patient's SPRAVATO REMS enrolment is an `identifier` (system
  `urn:ketacare:clinic:{slug}:spravato-rems`, `period.start` = enrolled on) on consents for the
  esketamine route only; R4 Consent has no `note`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ketacare.accounts.models import Clinic
from ketacare.evaluations.models import CONSENT_RISKS, Consent, RemsEnrollment, RouteChoice
from ketacare.fhir.clinical_common import concept, in_clinic, patient_reference, prune
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire import LOINC

SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_PARAMS = ("patient",)
CONSENT_ID = re.compile(r"^consent-(?P<pk>[1-9]\d{0,17})$")


def parse_consent_id(resource_id: str) -> int | None:
    match = CONSENT_ID.match(resource_id)
    return int(match["pk"]) if match else None


def _rems_identifier(consent: Consent) -> list[dict[str, Any]]:
    if consent.route != RouteChoice.ESKETAMINE_NASAL:
        return []
    rems = RemsEnrollment.objects.filter(patient_id=consent.patient_id).first()
    if rems is None:
        return []
    return [
        {
            "use": "secondary",
            "type": {"text": "SPRAVATO REMS patient enrolment"},
            "system": f"urn:ketacare:clinic:{consent.patient.clinic.slug}:spravato-rems",
            "value": rems.rems_patient_id,
            "period": {"start": rems.enrolled_on.isoformat()},
        }
    ]


def consent_to_fhir(consent: Consent) -> dict[str, Any]:
    route = RouteChoice(consent.route)
    provisions = [{"text": f"Treatment: {route.label}"}]
    if consent.off_label_disclosed:
        provisions.append({"text": "Off-label use of racemic ketamine disclosed"})
    provisions += [
        {"text": f"Risk discussed: {CONSENT_RISKS.get(risk, risk)}"}
        for risk in consent.risks_discussed
    ]
    verification = []
    if consent.witness_name.strip():
        verification.append(
            {
                "verified": True,
                "verifiedWith": {"display": f"Witness: {consent.witness_name.strip()}"},
                "verificationDate": consent.signed_on.isoformat(),
            }
        )
    return prune(
        {
            "resourceType": "Consent",
            "id": f"consent-{consent.pk}",
            "meta": {"lastUpdated": fhir_instant(consent.recorded_at)},
            "identifier": _rems_identifier(consent),
            "status": "active",
            "scope": concept(SCOPE_SYSTEM, "treatment", "Treatment"),
            "category": [concept(LOINC, "59284-0", text="Informed consent for treatment")],
            "patient": patient_reference(consent.patient_id),
            "dateTime": consent.signed_on.isoformat(),
            "performer": [patient_reference(consent.patient_id, consent.patient_signature_name)],
            "organization": [{"display": consent.patient.clinic.name}],
            "policy": [
                {
                    "uri": f"urn:ketacare:consent-text:{route.value}:"
                    f"{quote(consent.version, safe='')}"
                }
            ],
            "policyRule": {"text": f"KetaCare consent text, version {consent.version}"},
            "verification": verification,
            "provision": {"type": "permit", "code": provisions},
        }
    )


def run_consent_search(clinic: Clinic, search: Search) -> Any:
    rows = in_clinic(Consent.objects.all(), clinic, search, "patient")
    return rows.select_related("patient__clinic").order_by("-signed_on", "-recorded_at", "-pk")


def consent_row(clinic: Clinic, pk: int) -> Consent | None:
    return (
        Consent.objects.filter(pk=pk, patient__clinic=clinic)
        .select_related("patient__clinic")
        .first()
    )
