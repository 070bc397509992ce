"""Demo data for the patient portal: portal logins for a few patients per clinic, message
threads with the care team, and published education articles (written for this demo)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.utils import timezone

from ketacare.accounts.models import Clinic, User
from ketacare.measures.models import DueAssessment, DueStatus
from ketacare.patients.models import Patient
from ketacare.portal.models import Article, Message, MessageThread, PortalAccount, Stage

PORTAL_PATIENTS_PER_CLINIC = 3


def portal_email(slug: str, number: int) -> str:
    return f"patient{number}@{slug}.demo"


def portal_logins(clinics: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(email, role, clinic) rows for the printed demo logins; `clinics` = (slug, name)."""
    return [
        (portal_email(slug, n), "Patient (at /portal/)", name)
        for slug, name in clinics
        for n in range(1, PORTAL_PATIENTS_PER_CLINIC + 1)
    ]


ARTICLES: tuple[tuple[str, str, list[str], list[str], str], ...] = (
    (
        "Preparing for your first infusion",
        "What to do the day before and the morning of your first treatment.",
        [],
        [Stage.BEFORE, Stage.INDUCTION],
        "A first treatment day feels less daunting when the practical things are settled.\n\n"
        "## The day before\n\n"
        "- Arrange for someone to drive you home: you must not drive until the next day.\n"
        "- Skip alcohol for at least a day beforehand.\n"
        "- Write down one or two things you hope the treatment will help with.\n\n"
        "## On the day\n\n"
        "Follow the eating and drinking instructions your clinic gave you; they are shown with "
        "each appointment in this portal. Wear comfortable clothes and bring headphones or an "
        "eye mask if you like them.\n\n"
        "Plan a quiet rest of the day. Most people feel tired afterwards.",
    ),
    (
        "What dissociation can feel like",
        "Feeling detached during a session is common and passes.",
        [],
        [Stage.BEFORE, Stage.INDUCTION],
        "During a ketamine session many people notice that things feel unreal or far away. "
        "Your body may feel light or heavy, sounds can seem different, and time can stretch.\n\n"
        "This is expected and usually fades within an hour or two after the dose. A nurse stays "
        "with you and checks on you throughout.\n\n"
        "## If it feels like too much\n\n"
        "- Tell the nurse: they can lower the room's light and noise and stay close.\n"
        "- Slow breathing helps: in for four counts, out for six.\n"
        "- Remind yourself the feeling is from the medicine and will pass.\n\n"
        "Afterwards you will be asked how strong the effects were. There is no right answer.",
    ),
    (
        "Making sense of your sessions: integration",
        "Turning what you noticed during treatment into changes that last.",
        ["F32", "F33", "F43.1"],
        [Stage.INDUCTION, Stage.MAINTENANCE],
        "Integration means taking time after a session to reflect on what came up and to "
        "connect it with your daily life. Many clinics offer integration therapy sessions for "
        "this.\n\n"
        "## Ideas that help\n\n"
        "- Jot down a few words soon after the session, before the memory fades.\n"
        "- Bring those notes to your next therapy appointment.\n"
        "- Pick one small, concrete step for the coming week.\n\n"
        "Not every session feels meaningful, and that is fine too.",
    ),
    (
        "Sleep and alcohol during treatment",
        "Two habits that make a difference to how long the benefits last.",
        [],
        [Stage.INDUCTION, Stage.MAINTENANCE],
        "Regular sleep and little or no alcohol support your mood and may help the effects of "
        "treatment last longer.\n\n"
        "## Sleep\n\n"
        "- Get up at about the same time every day, weekends included.\n"
        "- Keep screens out of bed and the bedroom cool and dark.\n\n"
        "## Alcohol\n\n"
        "Alcohol can deepen low mood and disturb sleep. Avoid it completely before a treatment "
        "day, and talk to your care team if cutting down is hard: that is a common, treatable "
        "problem, not a failing.",
    ),
)

THREADS = (
    (
        "Driving after my session",
        "Hi, how long after a session should I wait before driving?",
        "Please do not drive until the next day after a good night's sleep. Have someone "
        "take you home after every session.",
    ),
    (
        "Feeling tired the day after",
        "I felt very tired the day after my last infusion. Is that normal?",
        "Yes, tiredness the next day is common. Rest, drink water, and tell us at your next "
        "visit if it lasts more than a day.",
    ),
)


def load_portal(
    clinic: Clinic,
    password_hash: str,
    rng: random.Random,
    progress: Callable[[str], None] = lambda _: None,
) -> None:
    now = timezone.now()
    admin = User.objects.filter(memberships__clinic=clinic, memberships__role="admin").first()
    nurse = User.objects.filter(memberships__clinic=clinic, memberships__role="nurse").first()
    for index, (title, summary, conditions, stages, body) in enumerate(ARTICLES):
        Article.objects.create(
            clinic=clinic,
            title=title,
            summary=summary,
            body=body,
            conditions=conditions,
            stages=[str(s) for s in stages],
            published=True,
            published_at=now - timedelta(days=60 - index),
            updated_by=admin,
        )
    patients = list(
        Patient.objects.filter(clinic=clinic, appointments__isnull=False)
        .distinct()
        .order_by("mrn")[:PORTAL_PATIENTS_PER_CLINIC]
    )
    for number, patient in enumerate(patients, start=1):
        email = portal_email(clinic.slug, number)
        Patient.objects.filter(pk=patient.pk).update(email=email)
        user = User.objects.create(
            email=email,
            password=password_hash,
            full_name=f"{patient.preferred_name or patient.legal_given_name} "
            f"{patient.legal_family_name}",
        )
        PortalAccount.objects.create(
            user=user,
            patient=patient,
            invited_by=admin,
            invited_at=now - timedelta(days=90),
            activated_at=now - timedelta(days=89),
        )
        for offset, (subject, question, answer) in enumerate(THREADS):
            asked = now - timedelta(days=40 - 15 * offset, hours=rng.randint(1, 8))
            thread = MessageThread.objects.create(
                clinic=clinic,
                patient=patient,
                subject=subject,
                assigned_to=nurse,
                created_at=asked,
                last_message_at=asked + timedelta(hours=3),
            )
            Message.objects.create(
                thread=thread,
                from_patient=True,
                sender=user,
                body=question,
                sent_at=asked,
                read_at=asked + timedelta(hours=2),
                read_by=nurse,
            )
            Message.objects.create(
                thread=thread,
                from_patient=False,
                sender=nurse,
                body=answer,
                sent_at=asked + timedelta(hours=3),
                read_at=asked + timedelta(hours=5) if offset == 0 else None,
            )
        if number == 1:  # a PHQ-9 due today, to try the questionnaire page
            today = timezone.localdate()
            if not DueAssessment.objects.filter(
                patient=patient, scale_code="phq9", status=DueStatus.OPEN, due_on__lte=today
            ).exists():
                DueAssessment.objects.create(
                    patient=patient,
                    clinic=clinic,
                    scale_code="phq9",
                    due_on=today,
                    overdue_on=today + timedelta(days=3),
                    reason="Weekly check during treatment",
                )
    progress(f"{clinic.name}: portal logins, messages and articles")


def remove_portal_demo(clinics: Iterable[Clinic]) -> None:
    """Portal sign-ins of the demo patients (they hold no membership, so the staff clean-up
    does not see them)."""
    User.objects.filter(
        portal_account__patient__clinic__in=list(clinics), email__endswith=".demo"
    ).delete()
