"""Demo safety data: past high-risk flags worked through the crisis workflow and closed, one
open moderate flag, and Stanley–Brown safety plans on several charts.

Runs after the histories (which raise the item-9 flags; a high one opens a crisis record and a
dosing block at once). Uses its own random generator so the other demo loaders see the same
sequence as before, and does nothing for a clinic that already has demo safety plans.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, User
from ketacare.clinical.crisis_rules import review_due_on
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.crisis_actions import (
    do_clear_dosing_block,
    do_close_crisis,
    do_open_crisis,
    do_record_step,
)
from ketacare.safety.crisis_models import CrisisRecord, CrisisStep, DosingBlock, SafetyPlanVersion
from ketacare.safety.escalation import do_acknowledge
from ketacare.safety.escalation_models import EscalationEvent
from ketacare.safety.models import FlagStatus, RiskFlag
from ketacare.safety.plan_actions import do_save_plan
from ketacare.safety.resolve import do_resolve_flag

PLANS = (
    {
        "warning_signs": "Lying awake after 2 a.m.; cancelling plans; thinking 'what's the point'",
        "coping_strategies": "Cold shower; walk around the block; guitar for 20 minutes",
        "distractions": "The climbing gym; coffee with my neighbour Dana (555-0123)",
        "help_contacts": "My brother Chris 555-0131; my friend Ana 555-0132",
        "professionals": "The clinic 555-0100 (weekdays); 988 call or text; County ED",
        "safe_environment": "Chris keeps my medications and gives me a week at a time",
        "reasons_for_living": "My two kids and my dog",
    },
    {
        "warning_signs": "Feeling numb; drinking alone; stopping my medication",
        "coping_strategies": "Breathing exercise from therapy; writing in my journal",
        "distractions": "Library; calling my aunt; church on Sundays",
        "help_contacts": "My partner Lee 555-0141; my sister 555-0142",
        "professionals": "Jordan (therapist) at the clinic; 988; 911 if in danger",
        "safe_environment": "No alcohol in the house; firearm stored at my cousin's",
        "reasons_for_living": "Finishing my degree",
    },
)


def _staff(clinic: Clinic, role: str) -> tuple[User, Actor]:
    user = User.objects.get(email=f"{role}@{clinic.slug}.demo")
    return user, Actor(user_id=user.pk, label=user.email, role=role, clinic_id=clinic.pk)


def _walk_through(
    crisis: CrisisRecord, nurse: Actor, prescriber: Actor, rng: random.Random
) -> None:
    """Stay, means, evaluation, disposition, contacts and close-out, then back-dated to the flag."""
    now = timezone.now()
    outpatient = rng.random() < 0.7
    flag = crisis.flag
    if flag is not None and flag.status == FlagStatus.OPEN:  # the banner answered first
        do_acknowledge(
            prescriber,
            User.objects.get(pk=prescriber.user_id or 0),
            flag,
            "saw_patient",
            "Saw the patient at once; crisis record opened, staff member stays with them.",
        )
    do_record_step(nurse, crisis, "stay", {"who": "Sam Okafor RN", "occurred_at": now})
    do_record_step(nurse, crisis, "means", {"note": "Partner removed stored medications."})
    do_record_step(
        prescriber,
        crisis,
        "evaluation",
        {"who": "Dr. Priya Natarajan", "note": "Interviewed; ideation without intent or plan."},
    )
    if outpatient:
        disposition = {"disposition": "outpatient", "follow_up_at": now + timedelta(hours=48)}
    else:
        disposition = {
            "disposition": "voluntary_admission",
            "note": "Admitted to County Behavioral",
        }
    do_record_step(prescriber, crisis, "disposition", disposition)
    if outpatient:  # "outpatient with safety plan": written with the patient before close-out
        plan = PLANS[crisis.pk % len(PLANS)]
        do_save_plan(nurse, crisis.patient, plan, crisis=crisis)
    do_record_step(
        nurse, crisis, "contact", {"who": "Partner (emergency contact)", "method": "phone"}
    )
    do_close_crisis(prescriber, crisis, "Evaluated and safe; disposition carried out.")
    for block in DosingBlock.objects.filter(crisis=crisis, cleared_at__isnull=True):
        do_clear_dosing_block(prescriber, block, "Evaluated by the prescriber; risk now low.")
    _backdate(crisis)


def _backdate(crisis: CrisisRecord) -> None:
    """Move a demo record to the time of its flag (demo only: real records keep their times)."""
    start = crisis.flag.raised_at if crisis.flag else crisis.opened_at
    shift = timezone.now() - start
    if shift <= timedelta(hours=1):
        return
    for plan in SafetyPlanVersion.objects.filter(crisis=crisis):
        SafetyPlanVersion.objects.filter(pk=plan.pk).update(
            created_at=plan.created_at - shift + timedelta(hours=2)
        )
    for step in CrisisStep.objects.filter(record=crisis):
        CrisisStep.objects.filter(pk=step.pk).update(
            occurred_at=step.occurred_at - shift + timedelta(minutes=10),
            recorded_at=step.recorded_at - shift + timedelta(minutes=12),
            follow_up_at=step.follow_up_at - shift if step.follow_up_at else None,
        )
    CrisisRecord.objects.filter(pk=crisis.pk).update(
        opened_at=start,
        closed_at=start + timedelta(hours=3),
        follow_up_at=crisis.follow_up_at - shift if crisis.follow_up_at else None,
    )
    if crisis.flag_id:
        RiskFlag.objects.filter(pk=crisis.flag_id).update(
            acknowledged_at=start + timedelta(minutes=20)
        )
        EscalationEvent.objects.filter(flag_id=crisis.flag_id, kind="acknowledged").update(
            at=start + timedelta(minutes=20)
        )
    for block in DosingBlock.objects.filter(crisis=crisis):
        DosingBlock.objects.filter(pk=block.pk).update(
            blocked_at=start,
            blocked_on=start.date(),
            cleared_at=start + timedelta(days=1),
        )


# A screen that finds a wish to be dead but no active thoughts or behaviour: low risk.
LOW_RISK_SCREEN = {"cssrs_recent-1": 1, "cssrs_recent-2": 0, "cssrs_recent-6": 0}


def _screen_and_acknowledge(flag: RiskFlag, user: User, actor: Actor) -> None:
    at = flag.raised_at + timedelta(hours=2)
    if flag.requires_cssrs:
        do_record_assessment(
            actor, flag.patient, "cssrs_recent", LOW_RISK_SCREEN, administered_at=at
        )
    do_acknowledge(
        actor,
        user,
        flag,
        "cssrs",
        "Called the patient: C-SSRS screen low risk; safety plan reviewed, crisis lines given.",
        now=at,
    )
    # Resolved at the next visit, through the same action a clinician uses.
    flag.refresh_from_db()
    do_resolve_flag(
        actor,
        flag,
        "Seen at the next visit: no suicidal thoughts since; safety plan in place.",
        now=min(at + timedelta(days=3), timezone.now()),
    )


def load_safety(clinic: Clinic, progress: Callable[[str], None] = lambda _: None) -> None:
    patients = Patient.objects.filter(clinic=clinic)
    if SafetyPlanVersion.objects.filter(patient__in=patients).exists():
        return
    rng = random.Random(f"safety-demo-{clinic.slug}")
    _, nurse = _staff(clinic, "nurse")
    prescriber_user, prescriber = _staff(clinic, "prescriber")
    _, therapist = _staff(clinic, "therapist")
    # Past high flags raised by the histories: worked through and closed.
    closed = 0
    for crisis in CrisisRecord.objects.filter(patient__clinic=clinic, status="open"):
        _walk_through(crisis, nurse, prescriber, rng)
        closed += 1
    # At least two resolved records per clinic, whatever the histories raised.
    chosen = list(patients.order_by("mrn")[:12])
    for patient in chosen[: max(0, 2 - closed)]:
        crisis = do_open_crisis(
            prescriber, patient, "Disclosed a plan during the integration session."
        )
        CrisisRecord.objects.filter(pk=crisis.pk).update(
            opened_at=timezone.now() - timedelta(days=40 + rng.randint(0, 30))
        )
        crisis.refresh_from_db()
        _walk_through(crisis, nurse, prescriber, rng)
        closed += 1
    # Moderate item-9 flags of the past went through the workflow: a prescriber screened the
    # patient with the C-SSRS two hours later and acknowledged the flag with that action (the
    # same actions a clinician uses, so the timeline, escalation and audit are real). One
    # recent flag stays open.
    for flag in RiskFlag.objects.filter(
        patient__clinic=clinic, level="moderate", status=FlagStatus.OPEN
    ).select_related("patient"):
        _screen_and_acknowledge(flag, prescriber_user, prescriber)
    open_patient = chosen[5]
    do_raise_flag(
        nurse,
        open_patient,
        level="moderate",
        source="phq9_item9",
        reason="PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered 1 of 3; "
        "a C-SSRS screen is required before the next dose.",
        requires_cssrs=True,
    )
    # Safety plans: every patient with a crisis record, and a few more.
    with_plans = {c.patient_id for c in CrisisRecord.objects.filter(patient__clinic=clinic)}
    with_plans |= {p.pk for p in chosen[6:9]}
    today = clinic_today(clinic)
    planned = patients.filter(pk__in=with_plans).exclude(safety_plans__isnull=False)
    for index, patient in enumerate(planned.order_by("mrn")):
        author = therapist if index % 2 else nurse
        plan = do_save_plan(author, patient, PLANS[index % len(PLANS)])
        if index % 3 == 0:  # a reviewed plan: version 2 with a change
            revised = PLANS[index % len(PLANS)] | {"coping_strategies": "Added: 10-minute run"}
            do_save_plan(author, patient, revised | {"review_due_on": review_due_on(today)})
        SafetyPlanVersion.objects.filter(pk=plan.pk).update(
            created_at=timezone.now() - timedelta(days=35)
        )
    progress(f"{clinic.name}: {closed} crisis records closed, {len(with_plans)} safety plans")
