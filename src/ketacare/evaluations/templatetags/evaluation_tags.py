"""The chart's eligibility banner, as an inclusion tag:

    {% load evaluation_tags %}{% eligibility_banner patient %}

Shows the latest evaluation's state (none / draft / signed decision with its outcome and
reasons) and what else treatment by its route needs (consent, REMS enrolment).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from ketacare.evaluations.gates import readiness
from ketacare.evaluations.models import EligibilityDecision, Evaluation
from ketacare.patients.models import Patient

register = template.Library()


@register.inclusion_tag("evaluations/_banner.html")
def eligibility_banner(patient: Patient) -> dict[str, Any]:
    evaluation = Evaluation.objects.filter(patient=patient).select_related("signed_by").first()
    decision = None
    ready = None
    if evaluation is not None:
        decision = EligibilityDecision.objects.filter(evaluation=evaluation).first()
        ready = readiness(patient, evaluation.route, timezone.localdate())
    titles: dict[str, list[str]] = {}
    if decision is not None and decision.is_signed:
        for finding in decision.findings:
            titles.setdefault(finding["severity"], []).append(finding["title"])
    return {
        "patient": patient,
        "evaluation": evaluation,
        "decision": decision if decision is not None and decision.is_signed else None,
        "titles": titles,
        "ready": ready,
    }
