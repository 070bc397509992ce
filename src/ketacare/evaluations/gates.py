"""The gates other apps call before treatment: may a session start, may a first dose be booked.

    from ketacare.evaluations.gates import assert_can_start_session
    assert_can_start_session(patient, "iv_racemic", on_date)   # raises TreatmentNotAllowed

A session needs a *signed* eligibility decision for that route whose outcome allows treatment
(eligible, or eligible with conditions), a consent for that route signed on or before the day,
and for esketamine the SPRAVATO REMS enrolment (identifier and date; clinical.md §2c, S6, S7
[REMS]). The error lists every reason, so the person at the chair sees all that is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ketacare.accounts.actions import ActionError
from ketacare.clinical.findings import Route
from ketacare.evaluations.models import (
    Consent,
    EligibilityDecision,
    EvaluationStatus,
    IndicationChoice,
    RemsEnrollment,
    RouteChoice,
)
from ketacare.patients.models import Patient

REMS_REASON = (
    "SPRAVATO REMS: the patient's enrolment (identifier and date) must be recorded before the "
    "first treatment (clinical.md §2c, S6, S7 [REMS])."
)


class TreatmentNotAllowed(ActionError):
    """Raised by the gates; `reasons` lists every unmet requirement."""

    def __init__(self, reasons: list[str]):
        super().__init__("patient", " ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Readiness:
    decision: EligibilityDecision | None
    consent: Consent | None
    rems: RemsEnrollment | None
    reasons: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.reasons


def signed_decision(
    patient: Patient, route: str, indication: str | None = None
) -> EligibilityDecision | None:
    """The decision of the latest signed evaluation for `route` (and, when given, for that
    `indication`: eligibility is judged per indication)."""
    decisions = EligibilityDecision.objects.filter(
        evaluation__patient=patient,
        evaluation__status=EvaluationStatus.SIGNED,
        route=route,
    )
    if indication is not None:
        decisions = decisions.filter(evaluation__indication=indication)
    return decisions.select_related("evaluation").order_by("-signed_at", "-pk").first()


def indication_label(value: str) -> str:
    return str(IndicationChoice(value).label) if value in IndicationChoice.values else value


def _route_label(route: str) -> str:
    return str(RouteChoice(route).label) if route in RouteChoice.values else route


def _decision_reasons(decision: EligibilityDecision | None, route: str) -> list[str]:
    if decision is None:
        return [f"No signed eligibility decision for {_route_label(route)}."]
    if not decision.allows_treatment:
        first = decision.summary[0] if decision.summary else ""
        return [f"The signed eligibility decision is 'not eligible'. {first}".strip()]
    return []


def _rems(
    patient: Patient, route: str, on_date: date | None
) -> tuple[RemsEnrollment | None, list[str]]:
    if not Route(route).is_esketamine:
        return None, []
    rems = RemsEnrollment.objects.filter(patient=patient).first()
    if rems is None or not rems.rems_patient_id.strip():
        return rems, [REMS_REASON]
    if on_date is not None and rems.enrolled_on > on_date:
        return rems, [f"SPRAVATO REMS enrolment is dated {rems.enrolled_on}, after {on_date}."]
    return rems, []


def readiness(patient: Patient, route: str, on_date: date) -> Readiness:
    if route not in RouteChoice.values:
        raise ActionError("route", f"route: “{route}” is not known.")
    decision = signed_decision(patient, route)
    reasons = _decision_reasons(decision, route)
    consent = (
        Consent.objects.filter(patient=patient, route=route, signed_on__lte=on_date)
        .order_by("-signed_on", "-recorded_at")
        .first()
    )
    if consent is None:
        reasons.append(f"No informed consent for {_route_label(route)} recorded.")
    rems, rems_reasons = _rems(patient, route, on_date)
    reasons.extend(rems_reasons)
    return Readiness(decision, consent, rems, tuple(reasons))


def assert_can_start_session(patient: Patient, route: str, on_date: date) -> Readiness:
    """Raise TreatmentNotAllowed unless a treatment session by `route` may start on `on_date`."""
    ready = readiness(patient, route, on_date)
    if not ready.ready:
        raise TreatmentNotAllowed(list(ready.reasons))
    return ready


def assert_can_schedule_first_dose(patient: Patient, route: str) -> None:
    """A first dose may be booked once the signed decision allows treatment and, for
    esketamine, the REMS enrolment is recorded (consent may still be taken on the day)."""
    if route not in RouteChoice.values:
        raise ActionError("route", f"route: “{route}” is not known.")
    reasons = _decision_reasons(signed_decision(patient, route), route)
    reasons.extend(_rems(patient, route, None)[1])
    if reasons:
        raise TreatmentNotAllowed(reasons)
