"""The pre-dose checklist: the items a nurse answers, and the ones read from the record.

Typed items come from the protocol (fasting and nasal preparation for esketamine, a prescriber
on site for esketamine, clinical.md §6a) plus what every session asks (identity, ride home,
pregnancy test, medication changes). Automatic items are decided from the chart at the moment
they are recorded and again at the dosing gate: eligibility, plan and consent
(`evaluations.gates`), today's weight when the dose is weight-based, today's PHQ-9, no open
high-risk flag, and a C-SSRS screen after any risk answer that asked for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ketacare.clinical.predose import (
    PREGNANCY_HOLD_START,
    pregnancy_na_problem,
    pregnancy_test_applies,
)
from ketacare.clinical.protocols import Protocol, RequiredCheck
from ketacare.clinical.risk import cssrs_before_dose
from ketacare.evaluations.gates import readiness
from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.measures.screens import answer_minute, screen_after
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.plans.models import PlanStatus
from ketacare.safety.models import FlagStatus, RiskFlag, RiskLevel
from ketacare.treatments.limits import ClinicMonitoring
from ketacare.treatments.models import CheckResult, TreatmentSession


@dataclass(frozen=True)
class CheckItem:
    code: str
    label: str
    allow_na: bool = False
    # Why "not applicable" is refused when the reason is not the item's own (the clinic's
    # pregnancy-test policy for this patient); blank: the general message.
    na_refusal: str = ""


# Typed items whose "no" holds the dose for a prescriber's documented decision (the existing
# hold/clear mechanism) instead of standing until the checklist is recorded again: a pregnancy
# test not negative is a label warning the prescriber weighs, not a hard stop (clinical.md §3
# note, §14; `clinical.predose`).
HOLD_ON_NO = ("pregnancy_test",)


def manual_items(protocol: Protocol) -> list[CheckItem]:
    required = set(protocol.monitoring.required_checks)
    items = [CheckItem("identity", "Identity confirmed with two identifiers (name, birth date)")]
    if RequiredCheck.PRESCRIBER_ON_SITE in required:
        items.append(
            CheckItem("prescriber_on_site", "A prescriber is on site for dosing and monitoring")
        )
    if RequiredCheck.NO_FOOD_2H in required:
        items.append(
            CheckItem("fasting", "No food for 2 hours and no liquids for 30 minutes before dosing")
        )
    else:
        items.append(CheckItem("fasting", "Fasting as the clinic's protocol asks", allow_na=True))
    if RequiredCheck.NASAL_STEROID_DECONGESTANT_1H_BEFORE in required:
        items.append(
            CheckItem(
                "nasal_prep",
                "Any nasal corticosteroid or decongestant taken at least 1 hour before",
                allow_na=True,
            )
        )
    items += [
        CheckItem(
            "ride_home",
            "Ride home confirmed: a responsible adult collects the patient; no driving until "
            "the next day",
        ),
        CheckItem(
            "pregnancy_test",
            "Pregnancy test negative today (where required; no = positive or not done)",
            allow_na=True,
        ),
        CheckItem(
            "medication_changes",
            "Medication changes since the last visit reviewed (benzodiazepines, stimulants, "
            "MAOIs, opioids) — note any change",
        ),
    ]
    return items


def pregnancy_test_required(session: TreatmentSession, monitoring: ClinicMonitoring) -> bool:
    """Does the clinic's policy require a pregnancy test of this session's patient today
    (`clinical.predose.pregnancy_test_applies`; age in the clinic's time zone)?"""
    patient = session.patient
    return pregnancy_test_applies(
        bool(monitoring.pregnancy_test_required),
        patient.sex_at_birth,
        patient.age_on(clinic_today(session.clinic)),
        age_min=monitoring.pregnancy_age_min,
        age_max=monitoring.pregnancy_age_max,
    )


def session_items(
    session: TreatmentSession, protocol: Protocol, monitoring: ClinicMonitoring
) -> list[CheckItem]:
    """The typed items for this session: the protocol's, with the pregnancy test's "not
    applicable" refused when the clinic requires a test of this patient."""
    items = manual_items(protocol)
    if not pregnancy_test_required(session, monitoring):
        return items
    refusal = pregnancy_na_problem(True, CheckResult.NA)
    return [
        replace(
            item,
            label="Pregnancy test negative today (the clinic requires it for this patient; "
            "no = positive or not done)",
            allow_na=False,
            na_refusal=refusal,
        )
        if item.code == "pregnancy_test"
        else item
        for item in items
    ]


# The pre-dose vitals dosing needs (clinical.md §6a-b: BP and pulse oximetry before dosing).
PRE_DOSE_READINGS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_pct")
PRE_DOSE_SCORES = ("moaas", "cadss6")


def answer_problems(items: list[CheckItem], results: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every typed check left unanswered or answered "not applicable" where it may not be
    (field, message). The form shows them all; `do_record_checks` refuses the first."""
    problems = []
    for item in items:
        result = results.get(item.code)
        if result not in CheckResult.values:
            problems.append((item.code, "Answer this check."))
        elif result == CheckResult.NA and not item.allow_na:
            problems.append(
                (item.code, item.na_refusal or "This check cannot be “not applicable”.")
            )
    return problems


def missing_readings(values: Mapping[str, Any], scores_required: bool) -> list[tuple[str, str]]:
    """Every pre-dose reading (and, when the protocol asks for them, score) not given."""
    problems = [(n, "Needed before dosing.") for n in PRE_DOSE_READINGS if values.get(n) is None]
    if scores_required:
        problems += [
            (n, "The protocol asks for a pre-dose score.")
            for n in PRE_DOSE_SCORES
            if values.get(n) is None
        ]
    return problems


@dataclass(frozen=True)
class AutoCheck:
    code: str
    label: str
    ok: bool
    detail: str


def automatic_checks(
    session: TreatmentSession, protocol: Protocol, *, weight_based: bool
) -> list[AutoCheck]:
    patient, clinic = session.patient, session.clinic
    today = clinic_today(clinic)
    out: list[AutoCheck] = []
    ready = readiness(patient, session.route, today)
    plan_ok = session.plan.status == PlanStatus.ACTIVE
    reasons = list(ready.reasons)
    if not plan_ok:
        reasons.append(f"The treatment plan is {session.plan.get_status_display().lower()}.")
    out.append(
        AutoCheck(
            "eligibility",
            "Eligibility signed, plan active, consent valid"
            + (", REMS enrolment recorded" if session.is_esketamine else ""),
            not reasons,
            " ".join(reasons) or "All in order.",
        )
    )
    zone = clinic_zone(clinic)
    if weight_based:
        weighed = [
            m
            for m in BodyMeasurement.objects.filter(patient=patient).order_by("-measured_at")[:5]
            if m.measured_at.astimezone(zone).date() == today
        ]
        out.append(
            AutoCheck(
                "weight_today",
                "Weight measured today (weight-based dose)",
                bool(weighed),
                f"{weighed[0].weight_kg} kg" if weighed else "No weight recorded today.",
            )
        )
    phq = [
        a
        for a in Assessment.objects.filter(patient=patient, scale_code="phq9")
        .exclude(status=AssessmentStatus.ENTERED_IN_ERROR)
        .order_by("-administered_at")[:3]
        if a.administered_at.astimezone(zone).date() == today
    ]
    out.append(
        AutoCheck(
            "phq9_today",
            "PHQ-9 completed today",
            bool(phq),
            f"PHQ-9 {phq[0].total}" if phq else "No PHQ-9 recorded today.",
        )
    )
    flags = RiskFlag.objects.filter(
        patient=patient, level=RiskLevel.HIGH, status=FlagStatus.OPEN
    ).count()
    out.append(
        AutoCheck(
            "no_high_risk_flag",
            "No open high-risk safety flag",
            flags == 0,
            f"{flags} open high-risk flag(s): a prescriber must review them first."
            if flags
            else "None open.",
        )
    )
    out.append(_cssrs_check(patient))
    out.append(_dosing_block_check(patient, today))
    from ketacare.aftercare.predose import alcohol_auto_checks  # aftercare: habit log

    out += alcohol_auto_checks(session, today)
    return out


def standing_problems(session: TreatmentSession) -> list[str]:
    """The recorded checklist's problems that still stand now, for the dosing gate.

    A typed item answered "no" stands until the nurse records the checklist again. An automatic
    item is a reading of the chart, so it is read again now: one that failed when the checklist
    was recorded (no C-SSRS yet) and is met since (the screen was recorded) no longer stands,
    and one met then but failing now does. Vitals and a BP hold are not touched: they are the
    session's own (`on_hold`, cleared only by a prescriber). The gate
    (`treatments.actions.dosing_blockers`) reads this, not the stored `check_problems`."""
    from ketacare.treatments.state import session_protocol

    if session.checks_at is None:  # no checklist recorded: the gate says so itself
        return []
    typed = [
        f"{c.label}: answered no."
        for c in session.checks.filter(
            automatic=False, result=CheckResult.NO, at=session.checks_at
        ).order_by("pk")
        # A "no" that put the session on hold is the prescriber's to clear (on_hold), not a
        # standing problem (sessions recorded before it became a hold keep it as one).
        if not (
            c.code in HOLD_ON_NO
            and any(r.startswith(PREGNANCY_HOLD_START) for r in session.hold_reasons)
        )
    ]
    protocol = session_protocol(session)
    weight_based = protocol.dose_for(session.plan.phase).is_weight_based
    live = [
        f"{a.label}: {a.detail}"
        for a in automatic_checks(session, protocol, weight_based=weight_based)
        if not a.ok
    ]
    return typed + live


def _cssrs_check(patient: Patient) -> AutoCheck:
    """A risk answer that asked for a C-SSRS screen (a flag with `requires_cssrs`, whatever
    its status now: acknowledging the flag does not do the screen) holds dosing until a
    C-SSRS is recorded after it (clinical.risk.cssrs_before_dose; clinical.md §16a).

    "After" is read by `measures.screens.screen_after`: to the minute the forms give, then in
    the order the two were recorded, so a screen given in the same minute right after the
    PHQ-9 counts and one recorded before it never does."""
    flag = (
        RiskFlag.objects.filter(patient=patient, requires_cssrs=True)
        .select_related("assessment")
        .order_by("-raised_at", "-pk")
        .first()
    )
    if flag is None:
        decision = cssrs_before_dose(None, None)
    else:
        screen = screen_after(patient.pk, flag.assessment, flag.raised_at)
        decision = cssrs_before_dose(
            answer_minute(flag.assessment, flag.raised_at),
            screen.administered_at if screen is not None else None,
        )
    return AutoCheck(
        "cssrs_after_risk_answer",
        "C-SSRS screen done after any risk answer",
        decision.ok,
        decision.reason,
    )


def _dosing_block_check(patient: Patient, today: date) -> AutoCheck:
    """A high-risk flag or crisis record blocks dosing that day and until a prescriber clears
    it (safety.dosing_block; clinical.md §16b)."""
    from ketacare.safety.dosing_block import dosing_block_reasons

    reasons = dosing_block_reasons(patient, today)
    return AutoCheck(
        "no_dosing_block",
        "No crisis dosing block",
        not reasons,
        " ".join(reasons) if reasons else "None.",
    )
