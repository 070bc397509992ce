"""Demo comprehensive evaluations: most demo patients evaluated, decided and signed.

For about 85% of each clinic's patients an evaluation is started, filled in (history, prior
antidepressant trials, current medications, baseline vitals, goals in the patient's words),
decided by the eligibility engine and signed by the clinic's prescriber, with consent recorded
(the off-label disclosure for racemic ketamine). Most are IV racemic ketamine; some
treatment-resistant patients are on esketamine nasal spray, with their SPRAVATO REMS enrolment
recorded. Each clinic also shows:

- one "not eligible" patient per hard stop (aneurysmal vascular disease, arteriovenous
  malformation, intracerebral haemorrhage, hypersensitivity to ketamine; and for racemic
  ketamine: active psychosis, pregnancy);
- a few relative findings overridden with the prescriber's written justification;
- a few drafts nobody has signed yet.

Everything goes through the evaluation actions, so it is validated, decided and audited exactly
as in use; afterwards the dates are moved back to when the patient started treatment (the
audit trail keeps the load time).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, Role, User
from ketacare.evaluations import actions
from ketacare.evaluations.models import (
    CONSENT_RISKS,
    EligibilityDecision,
    Evaluation,
    RouteChoice,
)
from ketacare.measures.models import EpisodeOfCare
from ketacare.patients.models import Allergy, Patient

EVALUATED_SHARE = 0.85
CONSENT_VERSION = "2026-01"
IV, ESKETAMINE, IM = (
    RouteChoice.IV_RACEMIC.value,
    RouteChoice.ESKETAMINE_NASAL.value,
    RouteChoice.IM_RACEMIC.value,
)

# One ineligible patient per hard stop: (checklist key or "pregnancy", route, history note).
HARD_STOPS = (
    (
        "aneurysmal_vascular_disease",
        "Abdominal aortic aneurysm 4.1 cm on surveillance ultrasound (vascular surgery, 2024).",
    ),
    (
        "arteriovenous_malformation",
        "Cerebral arteriovenous malformation found on MRI for migraine work-up, untreated.",
    ),
    (
        "intracerebral_haemorrhage",
        "Intracerebral haemorrhage in 2021 after a fall; residual mild left-hand weakness.",
    ),
    (
        "ketamine_hypersensitivity",
        "Generalised urticaria and wheeze during ketamine sedation for a fracture reduction.",
    ),
    (
        "psychosis_current",
        "Hearing a commenting voice for three weeks; believes neighbours are monitoring them.",
    ),
    ("pregnancy", "Pregnant, about 10 weeks by dates; obstetric care booked."),
)

# Relative findings a prescriber overrides: (extra sections, finding code, justification).
OVERRIDES: tuple[tuple[dict[str, Any], str, str], ...] = (
    (
        {
            "systolic_mmhg": 146,
            "diastolic_mmhg": 92,
            "psychiatric_history": "Recurrent depression since university. Hypertension on "
            "amlodipine 5 mg since 2022.",
        },
        "baseline_bp_elevated",
        "Long-standing hypertension controlled on amlodipine: home readings average 128/82 over "
        "two weeks (log scanned). Clinic reading reflects anxiety. Recheck before each infusion "
        "and hold if above 160/100.",
    ),
    (
        {
            "medical_history": ["psychosis_history", "substance_use_disorder_history"],
            "other_substances": "Methamphetamine use disorder, in sustained remission since 2017 "
            "(NA sponsor, negative urine screens).",
            "substance_last_used_on": date(2017, 3, 1),
        },
        "psychosis_history",
        "Single methamphetamine-induced psychotic episode in 2016 that resolved within a week "
        "of abstinence; no psychotic symptoms in eight years and substance use disorder in "
        "sustained remission. Benefit outweighs risk; screen for psychotic symptoms at every "
        "session.",
    ),
    (
        {"medical_history": ["raised_intraocular_pressure_glaucoma"]},
        "raised_intraocular_pressure_glaucoma",
        "Open-angle glaucoma controlled on latanoprost; ophthalmologist's letter (IOP 15/16 mmHg, "
        "stable fields) supports treatment. Start at the low end of the dose range.",
    ),
    (
        {
            "medical_history": ["mania_history"],
            "psychiatric_history": "Recurrent depression. One week of hypomania on sertraline in "
            "2019 that settled when it was stopped; no spontaneous episodes.",
        },
        "mania_without_mood_stabiliser",
        "One antidepressant-induced hypomanic episode in 2019; no bipolar diagnosis after "
        "specialist review and no spontaneous mood elevation since. YMRS at every session; "
        "stop and review if it rises.",
    ),
)

GOALS = (
    "I want to get out of bed without it being a fight every morning.",
    "Be able to play with my kids again instead of just watching.",
    "Go back to work full time. I've been on leave since March.",
    "Stop feeling like I'm underwater all the time.",
    "Sleep through the night without the nightmares.",
    "Drive over the bridge without panicking.",
    "Get my pain down enough to walk the dog around the block.",
    "Feel something again. Anything, honestly.",
    "Stop cancelling on my friends.",
    "Finish my degree. I have one semester left.",
    "Not think about dying every day.",
    "Be the person my wife married, not this version of me.",
    "Cook a real meal and enjoy eating it.",
    "Get through a shift without having to hide in the bathroom.",
)
EPISODES = (
    "Worsening low mood, anhedonia and early waking since a job loss; passive thoughts of "
    "death without plan or intent.",
    "Gradual return of depressive symptoms after tapering medication; poor concentration, "
    "withdrawn from family.",
    "Low mood and exhaustion since a bereavement; stopped exercising and socialising.",
    "Persistent depression despite treatment; reduced hours at work, sleeping 11 hours a day.",
)
PSYCHOTHERAPY = (
    "CBT, 16 sessions (2021), some benefit.",
    "Weekly psychodynamic therapy for two years; continuing.",
    "DBT skills group 2022; individual therapy with a community LCSW monthly.",
    "Prolonged exposure therapy, 12 sessions, stopped because too distressing.",
    "",
)
# (drug, adequate daily dose in mg)
ANTIDEPRESSANTS = (
    ("Sertraline", 150),
    ("Escitalopram", 20),
    ("Fluoxetine", 40),
    ("Venlafaxine XR", 225),
    ("Duloxetine", 60),
    ("Bupropion XL", 300),
    ("Mirtazapine", 45),
    ("Vortioxetine", 20),
    ("Desvenlafaxine", 100),
)
# (name, drug class, daily dose in mg): what patients also take.
BENZODIAZEPINES = (
    ("Clonazepam", "benzodiazepine", Decimal("0.5")),
    ("Lorazepam", "benzodiazepine", Decimal(1)),
    ("Alprazolam", "benzodiazepine", Decimal("0.5")),
)
OTHER_MEDICATIONS = (
    ("Lisdexamfetamine (Vyvanse)", "stimulant", Decimal(40)),
    ("Lamotrigine", "lamotrigine", Decimal(100)),
    ("Levothyroxine", "other", Decimal("0.075")),
    ("Atorvastatin", "other", Decimal(20)),
)


@dataclass
class Plan:
    """What one patient's evaluation will show."""

    route: str = IV
    hard_stop: str = ""
    hard_stop_note: str = ""
    override: tuple[dict[str, Any], str, str] | None = None
    draft: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def load_evaluations(
    clinic: Clinic, rng: random.Random, progress: Callable[[str], None] = lambda _: None
) -> None:
    prescriber = User.objects.get(email=f"{Role.PRESCRIBER}@{clinic.slug}.demo")
    nurse = User.objects.get(email=f"{Role.NURSE}@{clinic.slug}.demo")
    doctor = Actor(
        user_id=prescriber.pk, label=prescriber.email, role=Role.PRESCRIBER, clinic_id=clinic.pk
    )
    rn = Actor(user_id=nurse.pk, label=nurse.email, role=Role.NURSE, clinic_id=clinic.pk)
    patients = list(
        Patient.objects.filter(clinic=clinic).prefetch_related("diagnoses").order_by("mrn")
    )
    starts = dict(
        EpisodeOfCare.objects.filter(patient__clinic=clinic)
        .order_by("started_on")
        .values_list("patient_id", "started_on")
    )
    plans = _plans(patients, rng)
    counts = {"signed": 0, "drafts": 0, "not eligible": 0}
    for patient, plan in plans:
        when = _evaluated_on(patient, starts.get(patient.pk), rng, draft=plan.draft)
        outcome = _evaluate(patient, plan, rng, doctor, rn, nurse, when)
        if plan.draft:
            counts["drafts"] += 1
        else:
            counts["signed"] += 1
            counts["not eligible"] += outcome == "not_eligible"
    progress(
        f"{clinic.name}: {len(plans)} evaluations ({counts['signed']} signed, "
        f"{counts['not eligible']} not eligible, {counts['drafts']} drafts)"
    )


def _primary(patient: Patient) -> tuple[str, bool]:
    for diagnosis in patient.diagnoses.all():
        if diagnosis.is_primary:
            return diagnosis.icd10_code, diagnosis.treatment_resistant
    return "", False


def _is_trd(patient: Patient) -> bool:
    code, resistant = _primary(patient)
    return code.startswith(("F32", "F33")) and resistant


def _plans(patients: list[Patient], rng: random.Random) -> list[tuple[Patient, Plan]]:
    """Pick who is evaluated and what their evaluation shows."""
    chosen = sorted(
        rng.sample(patients, round(len(patients) * EVALUATED_SHARE)), key=lambda p: p.mrn
    )
    free = list(chosen)
    plans: dict[Any, Plan] = {}  # by patient pk

    def take(fits: Callable[[Patient], bool]) -> Patient | None:
        for patient in free:
            if fits(patient):
                free.remove(patient)
                return patient
        return None

    for key, note in HARD_STOPS:
        if key == "pregnancy":
            patient = take(lambda p: p.sex_at_birth == "female" and 20 <= p.age_on() <= 42)
        else:
            patient = take(lambda p: True)
        if patient is not None:
            plans[patient.pk] = Plan(hard_stop=key, hard_stop_note=note)
    for override in OVERRIDES:
        patient = take(lambda p: not _is_trd(p) or rng.random() < 0.5)
        if patient is not None:
            plans[patient.pk] = Plan(override=override)
    for _ in range(5):
        patient = take(_is_trd)
        if patient is not None:
            plans[patient.pk] = Plan(route=ESKETAMINE)
    for _ in range(3):
        patient = take(lambda p: True)
        if patient is not None:
            plans[patient.pk] = Plan(draft=True, route=rng.choice([IV, IV, IM]))
    for patient in free:
        code, _ = _primary(patient)
        pain = code.startswith(("M79", "G90"))
        plans[patient.pk] = Plan(route=IM if pain and rng.random() < 0.4 else IV)
    return [(p, plans[p.pk]) for p in chosen]


def _evaluated_on(
    patient: Patient, started: date | None, rng: random.Random, *, draft: bool
) -> datetime:
    """A clinic morning (local 9-13 h, so the evaluation is signed on the same day)."""
    today = timezone.localdate()
    if draft:
        day = today - timedelta(days=rng.randint(1, 4))
    elif started is not None:
        day = started - timedelta(days=rng.randint(3, 10))
    else:
        day = timezone.localdate(patient.created_at) + timedelta(days=rng.randint(1, 6))
    day = min(day, today - timedelta(days=1))
    return timezone.make_aware(
        datetime(day.year, day.month, day.day, rng.randint(9, 13), rng.choice([0, 15, 30, 45]))
    )


def _indication(patient: Patient) -> str:
    code, resistant = _primary(patient)
    if code.startswith(("F32", "F33")):
        return "trd" if resistant else "other"
    if code.startswith("F43.1"):
        return "ptsd"
    if code.startswith(("F41", "F40")):
        return "anxiety"
    if code.startswith(("M79", "G90")):
        return "chronic_pain"
    return "other"


def _trials(indication: str, rng: random.Random) -> Iterator[dict[str, Any]]:
    """0-4 prior antidepressant trials; for TRD mostly adequate failures in this episode."""
    if indication == "trd":
        count = rng.choices([2, 3, 4], weights=[4, 4, 2])[0]
    elif indication == "chronic_pain":
        count = rng.choice([0, 0, 1])
    else:
        count = rng.choice([0, 1, 1, 2])
    for drug, dose in rng.sample(ANTIDEPRESSANTS, count):
        adequate = indication == "trd" and rng.random() < 0.85
        if adequate:
            improvement = Decimal(rng.randint(0, 40))
            yield {
                "drug": drug,
                "dose_mg": Decimal(dose),
                "weeks_at_dose": Decimal(rng.choice([6, 8, 8, 10, 12, 16])),
                "dose_adequate": True,
                "in_current_episode": True,
                "improvement_pct": improvement,
                "response": "none" if improvement < 25 else "partial",
                "reason_stopped": "ineffective",
            }
        else:  # stopped early for side effects, or from an earlier episode
            early = rng.random() < 0.6
            yield {
                "drug": drug,
                "dose_mg": Decimal(dose) / 2,
                "weeks_at_dose": Decimal(rng.choice([2, 3])) if early else Decimal(8),
                "dose_adequate": not early,
                "in_current_episode": early,
                "response": "unknown" if early else "response",
                "reason_stopped": "side_effects" if early else "patient_choice",
            }


def _medications(plan: Plan, rng: random.Random) -> Iterator[dict[str, Any]]:
    if plan.route == ESKETAMINE:  # given with an oral antidepressant (label)
        drug, dose = rng.choice(ANTIDEPRESSANTS[:6])
        yield {"name": drug, "drug_class": "antidepressant", "daily_dose_mg": Decimal(dose)}
    elif rng.random() < 0.4:
        drug, dose = rng.choice(ANTIDEPRESSANTS)
        yield {"name": drug, "drug_class": "antidepressant", "daily_dose_mg": Decimal(dose)}
    if rng.random() < 0.25:
        name, drug_class, mg = rng.choice(BENZODIAZEPINES)
        yield {"name": name, "drug_class": drug_class, "daily_dose_mg": mg}
    for name, drug_class, mg in OTHER_MEDICATIONS:
        if rng.random() < 0.1:
            yield {"name": name, "drug_class": drug_class, "daily_dose_mg": mg}


def _sections(patient: Patient, plan: Plan, rng: random.Random) -> dict[str, Any]:
    female = patient.sex_at_birth != "male"
    data: dict[str, Any] = {
        "psychiatric_history": rng.choice(
            (
                "First depressive episode at 19; three episodes since. No hospitalisations.",
                "Depression and anxiety since adolescence; one admission in 2018 for suicidal "
                "ideation.",
                "Trauma history (motor vehicle accident 2019); PTSD diagnosed 2020.",
                "No psychiatric history before the current problem; referred by primary care.",
            )
        ),
        "current_episode_started_on": (timezone.now() - timedelta(days=rng.randint(120, 900)))
        .date()
        .replace(day=1),
        "current_episode_description": rng.choice(EPISODES),
        "psychotherapy_history": rng.choice(PSYCHOTHERAPY),
        "audit_c_score": rng.choice([0, 1, 1, 2, 2, 3, 4]),
        "pregnant": "no" if female else "unknown",
        "breastfeeding": "no" if female else "unknown",
        "planning_pregnancy": "no" if female else "unknown",
        "oral_antidepressant_current": plan.route == ESKETAMINE,
        "goals": rng.choice(GOALS),
        "systolic_mmhg": rng.randint(106, 136),
        "diastolic_mmhg": rng.randint(64, 86),
        "heart_rate_bpm": rng.randint(58, 96),
        "spo2_pct": rng.randint(96, 100),
    }
    if not female:
        for key in ("pregnant", "breastfeeding", "planning_pregnancy"):
            data.pop(key)
    if plan.hard_stop == "pregnancy":
        data["pregnant"] = "yes"
        data["goals"] = "I want to feel well enough to look after this baby."
    elif plan.hard_stop:
        data["medical_history"] = [plan.hard_stop]
    if plan.hard_stop:
        data["psychiatric_history"] += f" Medical: {plan.hard_stop_note}"
    if plan.override is not None:
        data.update(plan.override[0])
    if plan.draft:  # started by the nurse; the prescriber has not got to it yet
        for name in ("psychotherapy_history", "audit_c_score", "goals", "spo2_pct"):
            data.pop(name, None)
    return data


def _evaluate(
    patient: Patient,
    plan: Plan,
    rng: random.Random,
    doctor: Actor,
    rn: Actor,
    nurse: User,
    when: datetime,
) -> str:
    indication = _indication(patient)
    if plan.route == ESKETAMINE:
        actions.do_record_rems_enrollment(
            rn,
            patient,
            f"SPR-{rng.randint(10_000_000, 99_999_999)}",
            (when - timedelta(days=rng.randint(1, 7))).date(),
        )
    if plan.hard_stop == "ketamine_hypersensitivity":
        Allergy.objects.create(
            patient=patient,
            substance="Ketamine",
            category="medication",
            reaction="Urticaria and wheeze",
            severity="severe",
            recorded_by=nurse,
            recorded_at=when,
        )
        Patient.objects.filter(pk=patient.pk).update(no_known_allergies=False)
    evaluation = actions.do_start_evaluation(rn, patient, plan.route, indication)
    # Dated first: the engine reads the patient's age on the evaluation's date.
    Evaluation.objects.filter(pk=evaluation.pk).update(created_at=when)
    evaluation.created_at = when
    actions.do_update_evaluation(doctor, evaluation, _sections(patient, plan, rng))
    for trial in _trials(indication, rng):
        actions.do_add_trial(doctor, evaluation, trial)
    for medication in _medications(plan, rng):
        actions.do_add_medication(rn, evaluation, medication)
    if plan.draft:
        if rng.random() < 0.5:
            actions.do_decide(doctor, evaluation)  # findings computed, not signed
        _backdate(evaluation, when, signed=False)
        return "draft"
    overrides = {plan.override[1]: plan.override[2]} if plan.override else {}
    decision = actions.do_sign_decision(doctor, evaluation, overrides)
    _backdate(evaluation, when, signed=True)
    if decision.allows_treatment and rng.random() < 0.9:
        _consent(doctor, patient, plan.route, when, rng)
    return decision.outcome


def _consent(
    doctor: Actor, patient: Patient, route: str, when: datetime, rng: random.Random
) -> None:
    risks = list(CONSENT_RISKS)
    if patient.sex_at_birth == "male":
        risks.remove("pregnancy")
    actions.do_record_consent(
        doctor,
        patient,
        {
            "route": route,
            "version": CONSENT_VERSION,
            "off_label_disclosed": route != ESKETAMINE,
            "risks_discussed": risks,
            "patient_signature_name": f"{patient.legal_given_name} {patient.legal_family_name}",
            "signed_on": min(
                (when + timedelta(days=rng.randint(0, 2))).date(), timezone.localdate()
            ),
            "witness_name": rng.choice(["Sam Okafor, RN", "Casey Lin", ""]),
        },
    )


def _backdate(evaluation: Evaluation, when: datetime, *, signed: bool) -> None:
    """Move the evaluation to when it happened (the actions stamp the load time)."""
    signed_at = when + timedelta(hours=1) if signed else None
    Evaluation.objects.filter(pk=evaluation.pk).update(
        created_at=when,
        last_edited_at=signed_at or when + timedelta(minutes=40),
        signed_at=signed_at,
    )
    EligibilityDecision.objects.filter(evaluation=evaluation).update(
        decided_at=signed_at or when + timedelta(minutes=40), signed_at=signed_at
    )
    evaluation.trials.update(recorded_at=when + timedelta(minutes=20))
    evaluation.medications.update(recorded_at=when + timedelta(minutes=25))
