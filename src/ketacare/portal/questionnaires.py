"""Questionnaires due now, answered in the portal.

The portal does not score anything itself: it opens a self-report link (channel "portal",
never sent anywhere; the patient is already signed in) and runs the same actions as the
/r/ phone form — `selfreport_actions.do_save_draft` / `do_submit_scale`, which score through
`measures.actions.do_record_assessment` exactly like staff entry and raise the same flags.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.clinical import scales
from ketacare.measures import selfreport_actions as sr
from ketacare.measures.actions import scoring_params
from ketacare.measures.models import (
    Context,
    DueAssessment,
    DueStatus,
    EpisodeOfCare,
    EpisodeStatus,
    SelfReportLink,
)
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient

PORTAL_CHANNEL = "portal"


def due_codes(patient: Patient) -> list[str]:
    """Scale codes the patient can answer alone that are due today or overdue."""
    codes = (
        DueAssessment.objects.filter(
            patient=patient, status=DueStatus.OPEN, due_on__lte=clinic_today(patient.clinic)
        )
        .order_by("due_on", "scale_code")
        .values_list("scale_code", flat=True)
    )
    usable = []
    for code in dict.fromkeys(codes):
        if code not in sr.SELF_REPORT_CODES:
            continue
        if code == "auditc" and not scoring_params("auditc", patient):
            continue
        usable.append(code)
    return usable


def open_links(patient: Patient) -> list[SelfReportLink]:
    """The patient's unfinished portal questionnaires."""
    return [
        link
        for link in SelfReportLink.objects.filter(
            patient=patient,
            channel=PORTAL_CHANNEL,
            completed_at=None,
            revoked_at=None,
            # Opened in time, a form keeps its finishing hour after the expiry (`usable_now`).
            expires_at__gt=timezone.now() - sr.FINISHING_GRACE,
        ).order_by("-created_at")
        if sr.usable_now(link) and sr.current_scale(link) is not None
    ]


def scale_names(codes: list[str]) -> list[str]:
    return [scales.get_scale(code).name for code in codes]


def do_start(actor: Actor, patient: Patient) -> SelfReportLink:
    """Open (or reuse) the portal questionnaire for what is due now."""
    existing = open_links(patient)
    if existing:
        return existing[0]
    codes = due_codes(patient)
    if not codes:
        raise ActionError("scales", "Nothing is due right now.")
    now = timezone.now()
    episode = (
        EpisodeOfCare.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE)
        .order_by("-started_on")
        .first()
    )
    with transaction.atomic():
        link = SelfReportLink.objects.create(
            patient=patient,
            # The portal needs no token (the patient is signed in); a random unused hash keeps
            # the column's uniqueness and can never be typed into /r/.
            token_hash=sr.hash_token(secrets.token_urlsafe(sr.TOKEN_BYTES)),
            scale_codes=codes,
            context=Context.FOLLOW_UP,
            episode=episode,
            channel=PORTAL_CHANNEL,
            created_at=now,
            expires_at=now + timedelta(hours=settings.KETACARE_SELF_REPORT_HOURS),
        )
        record(
            actor,
            "measures.selfreport.link_created",
            object_type="self_report_link",
            object_id=link.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"scales": codes, "channel": PORTAL_CHANNEL, "context": Context.FOLLOW_UP},
        )
    return link


def own_link(patient: Patient, link_id: int) -> SelfReportLink | None:
    return (
        SelfReportLink.objects.select_related("patient", "patient__clinic", "episode")
        .filter(pk=link_id, patient=patient, channel=PORTAL_CHANNEL)
        .first()
    )
