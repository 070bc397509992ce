"""Assessment → FHIR R4 QuestionnaireResponse (outgoing).

Every assessment reads as a QuestionnaireResponse with id `qr-{assessment pk}`:
- one that arrived over FHIR is served as it was posted (kept verbatim in
  `Assessment.fhir_response`), with our `id`, `meta.lastUpdated`, the canonical
  `questionnaire|version` and `subject` = `Patient/{id}` filled in;
- one entered by staff or by self-report is synthesised from its stored answers, in form
  order, with the same codings our Questionnaire offers, and the total item when it has one.
An assessment marked entered-in-error has status `entered-in-error` either way.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ketacare.clinical.scales import SCALES, Scale
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire import (
    answer_coding,
    has_total_item,
    questionnaire_url,
    total_link_id,
)
from ketacare.measures.models import Assessment, AssessmentStatus, Source

RESPONSE_ID = re.compile(r"^qr-(?P<pk>[1-9]\d{0,17})$")


def response_id(assessment: Assessment) -> str:
    return f"qr-{assessment.pk}"


def assessment_pk_from_response_id(resource_id: str) -> int | None:
    match = RESPONSE_ID.match(resource_id)
    return int(match["pk"]) if match else None


def response_status(assessment: Assessment) -> str:
    if assessment.status == AssessmentStatus.ENTERED_IN_ERROR:
        return "entered-in-error"
    return "completed"


def canonical(scale: Scale, version: str) -> str:
    return f"{questionnaire_url(scale)}|{version}"


def response_to_fhir(assessment: Assessment) -> dict[str, Any]:
    scale = SCALES[assessment.scale_code]
    if assessment.fhir_response:
        resource = copy.deepcopy(assessment.fhir_response)
        resource.pop("id", None)
    else:
        resource = {"resourceType": "QuestionnaireResponse"}
    sent_meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    # The sender's profiles and tags stay; version and time are ours.
    meta = {k: v for k, v in sent_meta.items() if k not in ("versionId", "lastUpdated")}
    header: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id(assessment),
        "meta": {**meta, "lastUpdated": fhir_instant(assessment.recorded_at)},
        "questionnaire": canonical(scale, assessment.scale_version),
        "status": response_status(assessment),
        "subject": {"reference": f"Patient/{assessment.patient_id}"},
    }
    # Our elements first (in the R4 order), then whatever else the sender gave.
    resource = {**header, **{k: v for k, v in resource.items() if k not in header}}
    resource.setdefault("authored", fhir_instant(assessment.administered_at))
    if not assessment.fhir_response:
        _synthesise(resource, scale, assessment)
    return resource


def _synthesise(resource: dict[str, Any], scale: Scale, assessment: Assessment) -> None:
    if assessment.source == Source.SELF_REPORT:
        resource["source"] = {"reference": f"Patient/{assessment.patient_id}"}
    elif assessment.administered_by is not None:
        resource["author"] = {"display": assessment.administered_by.display_name}
    items: list[dict[str, Any]] = []
    for item in scale.items:
        value = assessment.answers.get(item.link_id)
        if value is None:
            continue
        entry: dict[str, Any] = {"linkId": item.link_id, "text": item.text}
        try:
            entry["answer"] = [{"valueCoding": answer_coding(scale, item, value)}]
        except ValueError:
            # A value the current library no longer offers (a later scale version):
            # still report what was recorded.
            entry["answer"] = [{"valueInteger": value}]
        items.append(entry)
    if has_total_item(scale) and assessment.total is not None:
        items.append(
            {
                "linkId": total_link_id(scale),
                "text": "Total score",
                "answer": [{"valueInteger": assessment.total}],
            }
        )
    if items:
        resource["item"] = items
