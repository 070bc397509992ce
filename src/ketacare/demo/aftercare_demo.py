"""Demo aftercare: integration notes for held integration appointments, months of habit logs
and goals for a few patients, a relapse review task and a booster-due patient.

Idempotent: a clinic that already has aftercare demo data (any habit log) is left alone, and
the review task comes from the same `detect_followup` pass the worker runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, User
from ketacare.aftercare.followup import detect_followup, episode_followups
from ketacare.aftercare.models import (
    HabitGoal,
    HabitLog,
    HabitSource,
    IntegrationNote,
    NoteKind,
    NoteStatus,
    RiskAnswer,
)
from ketacare.aftercare.settings_store import settings_for
from ketacare.clinical.response import CourseStatus
from ketacare.demo.measures_demo import phq9_answers
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.models import Context
from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from ketacare.treatments.models import TreatmentSession

HABIT_DAYS = 120
HABIT_PATIENTS = 4
THEMES = (
    (
        "Reconnect with my sister",
        "Warmth, childhood kitchen, sense of being held",
        "I have been carrying my father's expectations",
        "Call sister on Sunday; journal daily",
    ),
    (
        "Let go of the need to control",
        "Floating, music felt like colour, brief fear then ease",
        "Fear passes when I stop fighting it",
        "Ten minutes of breathing practice each morning",
    ),
    (
        "Understand my anger",
        "Scenes from work, a door opening",
        "Anger protects the grief",
        "Walk after work three times this week",
    ),
)


def load_aftercare(
    clinic: Clinic, rng: random.Random, progress: Callable[[str], None] = lambda _: None
) -> None:
    if HabitLog.objects.filter(clinic=clinic).exists():
        return
    therapist = User.objects.get(email=f"therapist@{clinic.slug}.demo")
    nurse = User.objects.get(email=f"nurse@{clinic.slug}.demo")
    notes = _integration_notes(clinic, therapist, rng)
    followups = episode_followups(clinic)
    responders = [
        f for f in followups if f.booster is not None and f.booster.responded_on is not None
    ]
    habit_patients = [f.patient for f in responders[:HABIT_PATIENTS]]
    logs, goals = _habits(clinic, habit_patients, therapist, nurse, rng)
    _booster_and_relapse(clinic, responders, nurse, rng)
    tasks = detect_followup().get("relapse_tasks_opened", 0)
    progress(
        f"{clinic.name}: {notes} integration notes, {logs} habit days, {goals} goals, "
        f"{tasks} review tasks"
    )


def _integration_notes(clinic: Clinic, therapist: User, rng: random.Random) -> int:
    held = Appointment.objects.filter(
        clinic=clinic,
        type=AppointmentType.INTEGRATION,
        status=AppointmentStatus.COMPLETED,
    ).order_by("starts_at")[:24]
    made = 0
    for appt in held:
        if IntegrationNote.objects.filter(appointment=appt).exists():
            continue
        intentions, themes, insights, homework = rng.choice(THEMES)
        day = timezone.localtime(appt.starts_at).date()
        note = IntegrationNote.objects.create(
            clinic=clinic,
            patient=appt.patient,
            therapist=appt.clinician or therapist,
            kind=NoteKind.INTEGRATION,
            held_on=day,
            appointment=appt,
            intentions=intentions,
            themes=themes,
            insights=insights,
            homework=homework,
            risk=RiskAnswer.NONE,
            status=NoteStatus.SIGNED if made % 5 else NoteStatus.DRAFT,
            signed_at=appt.ends_at if made % 5 else None,
            signed_by=(appt.clinician or therapist) if made % 5 else None,
            created_at=appt.ends_at,
            updated_at=appt.ends_at,
        )
        sessions = TreatmentSession.objects.filter(
            patient=appt.patient, created_at__lte=appt.starts_at
        ).order_by("-created_at")[:1]
        note.treatment_sessions.set(list(sessions))
        made += 1
    return made


def _habits(
    clinic: Clinic, patients: list[Any], therapist: User, nurse: User, rng: random.Random
) -> tuple[int, int]:
    today = timezone.localdate()
    start = today - timedelta(days=HABIT_DAYS)
    rows = []
    goals = 0
    for patient in patients:
        for kind, target in (("active_min_week", 150), ("drinks_week_max", 7), ("wake_within", 60)):
            HabitGoal.objects.create(
                clinic=clinic,
                patient=patient,
                kind=kind,
                target=target,
                starts_on=start + timedelta(days=14),
                set_by=therapist,
                note="Agreed at the first integration session",
            )
            goals += 1
        for n in range(HABIT_DAYS):
            day = start + timedelta(days=n)
            if rng.random() < 0.12:
                continue  # days not logged
            progress = n / HABIT_DAYS  # habits improve over the months
            wake_spread = int(90 * (1 - progress)) + 15
            wake = 7 * 60 + rng.randint(-wake_spread, wake_spread)
            sleep = int(330 + 110 * progress + rng.randint(-40, 40))
            bed = (wake - sleep) % (24 * 60)
            active = max(0, int(5 + 30 * progress + rng.randint(-10, 15)))
            drinks = Decimal(max(0, round(rng.gauss(2.2 * (1 - progress), 0.8))))
            rows.append(
                HabitLog(
                    clinic=clinic,
                    patient=patient,
                    day=day,
                    bed_time=time(bed // 60, bed % 60),
                    wake_time=time(wake // 60, wake % 60),
                    active_minutes=active,
                    activity_kind=rng.choice(["walk", "yoga", "cycling", "walk"]) if active else "",
                    drinks=drinks,
                    therapy=day.weekday() == 2 and rng.random() < 0.6,
                    source=HabitSource.PATIENT if rng.random() < 0.8 else HabitSource.STAFF,
                    recorded_by=None if rng.random() < 0.8 else nurse,
                )
            )
    HabitLog.objects.bulk_create(rows, batch_size=500)
    return len(rows), goals


def _booster_and_relapse(
    clinic: Clinic, responders: list[Any], nurse: User, rng: random.Random
) -> None:
    """Make sure the demo shows one "booster may be due" and one relapse: add a recent PHQ-9
    to responders whose course does not show them already."""
    due = [f for f in responders if f.booster and f.booster.due]
    relapsed = [f for f in responders if f.course.status == CourseStatus.RELAPSE]
    spare = [
        f
        for f in responders
        if f not in due and f not in relapsed and f.course.scale_code == "phq9"
    ]
    rise_pct = settings_for(clinic).booster_rise_pct
    plans = []
    for item in list(spare) if not due else []:
        baseline = item.course.baseline.total
        best = item.booster.best[1]
        total = best + -(-baseline * rise_pct // 100)  # the rise, rounded up
        if total <= baseline // 2:  # still a response: a booster, not a relapse
            plans.append((item, total))
            spare.remove(item)
            break
    if not relapsed and spare:
        item = spare.pop()
        plans.append((item, min(27, item.course.baseline.total // 2 + 3)))
    actor = Actor(user_id=nurse.pk, label=nurse.email, role="nurse", clinic_id=clinic.pk)
    for item, total in plans:
        do_record_assessment(
            actor,
            item.patient,
            "phq9",
            phq9_answers(total, rng),
            context=Context.FOLLOW_UP,
            episode=item.episode,
            administered_at=timezone.now() - timedelta(days=1),
        )


def remove_aftercare(clinics: Any) -> None:
    """Delete the aftercare rows that protect demo patients, users and clinics."""
    from ketacare.aftercare.models import AftercareSettings, FollowUpTask, IntegrationAddendum

    IntegrationAddendum.objects.filter(note__clinic__in=clinics).delete()
    IntegrationNote.objects.filter(clinic__in=clinics).delete()
    FollowUpTask.objects.filter(clinic__in=clinics).delete()
    HabitGoal.objects.filter(clinic__in=clinics).delete()
    HabitLog.objects.filter(clinic__in=clinics).delete()
    AftercareSettings.objects.filter(clinic__in=clinics).delete()
