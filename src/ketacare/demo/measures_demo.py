"""Demo histories for measurement-based care: baselines and 3–12 months of scores.

Each demo patient follows one course: responder, remitter, partial responder, non-responder
or relapse after response; a few answer PHQ-9 item 9 above 0 (raising risk flags as in real
use). Scores come from the same clinical library as staff entry; rows are inserted in bulk
(the demo load is audited once as a whole) and risk flags go through the normal action.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, User
from ketacare.clinical import scales
from ketacare.clinical.risk import decide_flag
from ketacare.measures.models import (
    Assessment,
    Context,
    EpisodeOfCare,
    RuleKind,
    ScheduleRule,
    Source,
)
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag

COURSES = ("responder", "remitter", "partial", "non_responder", "relapse")
COURSE_WEIGHTS = (30, 25, 15, 20, 10)


def _spread(total: int, items: int, per_item_max: int, rng: random.Random) -> list[int]:
    """Answers for `items` items summing to `total` (each 0..per_item_max)."""
    total = max(0, min(total, items * per_item_max))
    values = [0] * items
    for _ in range(total):
        open_slots = [i for i in range(items) if values[i] < per_item_max]
        values[rng.choice(open_slots)] += 1
    return values


def phq9_answers(total: int, rng: random.Random, item9: int = 0) -> dict[str, int]:
    first_eight = _spread(total - item9, 8, 3, rng)
    values = [*first_eight, item9]
    return {f"phq9-{i + 1}": v for i, v in enumerate(values)}


def gad7_answers(total: int, rng: random.Random) -> dict[str, int]:
    return {f"gad7-{i + 1}": v for i, v in enumerate(_spread(total, 7, 3, rng))}


def pcl5_answers(total: int, rng: random.Random) -> dict[str, int]:
    return {f"pcl5-{i + 1}": v for i, v in enumerate(_spread(total, 20, 4, rng))}


CSSRS_NONE = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}


def course_fraction(course: str, week: float, rng: random.Random) -> float:
    """Score as a fraction of baseline after `week` weeks of treatment."""
    noise = rng.uniform(-0.06, 0.06)
    if course == "responder":
        target = 0.42 if week >= 3 else 1 - 0.19 * week
    elif course == "remitter":
        target = 0.18 if week >= 4 else 1 - 0.2 * week
    elif course == "partial":
        target = 0.66 if week >= 3 else 1 - 0.11 * week
    elif course == "non_responder":
        target = 0.92
    else:  # relapse: responds, then climbs back after week 14
        target = 0.4 if week < 14 else min(0.4 + 0.09 * (week - 14), 0.95)
    return max(0.05, min(1.1, target + noise))


def schedule_rules(clinic: Clinic) -> None:
    """Default measurement schedule: PHQ-9 and GAD-7 at baseline and weekly, PCL-5 for PTSD,
    C-SSRS at baseline and whenever PHQ-9 item 9 is above 0."""
    rules = [
        ("phq9", RuleKind.BASELINE, None, ""),
        ("phq9", RuleKind.INTERVAL, 7, ""),
        ("gad7", RuleKind.BASELINE, None, ""),
        ("gad7", RuleKind.INTERVAL, 14, ""),
        ("pcl5", RuleKind.BASELINE, None, "F43.1"),
        ("pcl5", RuleKind.INTERVAL, 28, "F43.1"),
        ("cssrs_recent", RuleKind.BASELINE, None, ""),
        ("cssrs_recent", RuleKind.AFTER_ITEM9, None, ""),
    ]
    for scale, kind, interval, prefixes in rules:
        ScheduleRule.objects.get_or_create(
            clinic=clinic,
            scale_code=scale,
            kind=kind,
            defaults={"interval_days": interval, "diagnosis_prefixes": prefixes},
        )


def load_histories(
    clinic: Clinic, rng: random.Random, progress: Callable[[str], None] = lambda _: None
) -> None:
    schedule_rules(clinic)
    nurse = User.objects.get(email=f"nurse@{clinic.slug}.demo")
    actor = Actor(user_id=nurse.pk, label=nurse.email, role="nurse", clinic_id=clinic.pk)
    patients = list(Patient.objects.filter(clinic=clinic).prefetch_related("diagnoses"))
    item9_patients = set(rng.sample(range(len(patients)), 3))
    rows: list[Assessment] = []
    for index, patient in enumerate(patients):
        if rng.random() < 0.1:
            continue  # a few new patients have no scores yet
        rows.extend(_history(patient, nurse, rng, with_item9=index in item9_patients))
    Assessment.objects.bulk_create(rows, batch_size=500)
    for row in Assessment.objects.filter(patient__clinic=clinic).select_related("patient"):
        decision = decide_flag(row.scale_code, row.answers, row.risk_level or None)
        if decision is not None:
            flag = do_raise_flag(
                actor,
                row.patient,
                level=decision.level,
                source=decision.source,
                reason=decision.reason,
                assessment=row,
                requires_cssrs=decision.requires_cssrs,
            )
            flag.raised_at = row.administered_at
            flag.save(update_fields=["raised_at"])
    progress(f"{clinic.name}: {len(rows)} assessments")


def _history(
    patient: Patient, nurse: User, rng: random.Random, *, with_item9: bool
) -> list[Assessment]:
    primary = patient.diagnoses.filter(is_primary=True).first()
    months = rng.randint(3, 12)
    start = timezone.now() - timedelta(days=30 * months)
    course = rng.choices(COURSES, weights=COURSE_WEIGHTS)[0]
    is_ptsd = bool(primary and primary.icd10_code.startswith("F43.1"))
    episode = EpisodeOfCare.objects.create(
        patient=patient,
        title=f"Ketamine treatment — {primary.display if primary else 'depression'}"[:200],
        diagnosis=primary,
        primary_scale="phq9",
        started_on=start.date(),
        created_by=nurse,
    )
    rows: list[Assessment] = []
    baseline_phq = rng.randint(14, 25)
    baseline_gad = rng.randint(9, 19)
    baseline_pcl = rng.randint(38, 62)
    when_list = _visit_times(start, months, rng)
    item9_visit = rng.randint(1, len(when_list) - 1) if with_item9 else -1
    for visit, when in enumerate(when_list):
        weeks = (when - start).days / 7
        fraction = 1.0 if visit == 0 else course_fraction(course, weeks, rng)
        context = (
            Context.INTAKE_BASELINE
            if visit == 0
            else (Context.PRE_SESSION if weeks < 6 else Context.FOLLOW_UP)
        )
        source = Source.STAFF if visit == 0 or rng.random() < 0.4 else Source.SELF_REPORT
        item9 = rng.choice([1, 2]) if visit == item9_visit else 0
        phq = max(item9, round(baseline_phq * fraction))
        record = _recorder(rows, nurse, patient, episode, context, source, when)
        record("phq9", phq9_answers(phq, rng, item9))
        if visit == 0:
            record("cssrs_recent", CSSRS_NONE)
        if visit == 0 or visit % 2 == 0:
            record("gad7", gad7_answers(round(baseline_gad * min(1.0, fraction + 0.1)), rng))
        if is_ptsd and (visit == 0 or visit % 4 == 0):
            record("pcl5", pcl5_answers(round(baseline_pcl * min(1.0, fraction + 0.05)), rng))
        if item9:
            record("cssrs_recent", {"cssrs_recent-1": 1, "cssrs_recent-2": 0, "cssrs_recent-6": 0})
    return rows


def _visit_times(start: datetime, months: int, rng: random.Random) -> list[datetime]:
    """Twice weekly for the first 3 weeks, then every 1–4 weeks."""
    times, day = [], 0.0
    horizon = 30 * months
    while day < horizon - 1:
        times.append(start + timedelta(days=day, hours=rng.randint(0, 6)))
        day += 3.5 if day < 21 else rng.choice([7, 14, 14, 21, 28])
    return [t for t in times if t < timezone.now()]


def _recorder(
    rows: list[Assessment],
    nurse: User,
    patient: Patient,
    episode: EpisodeOfCare,
    context: str,
    source: str,
    when: datetime,
) -> Callable[[str, dict[str, int]], None]:
    def record(scale_code: str, answers: dict[str, int]) -> None:
        scale = scales.get_scale(scale_code)
        result = scale.score(answers)
        rows.append(
            Assessment(
                patient=patient,
                episode=episode,
                scale_code=scale_code,
                scale_version=scale.version,
                answers=answers,
                total=result.total,
                subscores=result.subscores,
                band=result.band or "",
                flags=list(result.flags),
                risk_level=result.risk_level or "",
                complete=result.complete,
                explanation=list(result.explanation),
                context=context,
                source=source,
                administered_by=nurse if source == Source.STAFF else None,
                administered_at=when,
                recorded_at=when,
            )
        )

    return record
