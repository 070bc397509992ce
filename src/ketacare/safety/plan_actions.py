"""The Stanley–Brown safety plan (clinical.md §16c): saving a version, the patient's link, and
the review reminder.

- Every save is a new `SafetyPlanVersion` (the newest is current; older ones stay readable).
- A patient link is a random token (only its hash is stored), expiring after
  `KETACARE_SAFETY_PLAN_LINK_DAYS` days (default 90), showing one patient's current plan.
- `remind_due_reviews(now)` (a watcher of the worker's watch pass) emails the clinician who
  wrote the current version (if they have left the clinic: the patient's prescriber, else the
  director) once its review date has come; the one-per-version reminder row
  is the claim, so two workers never send twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Membership
from ketacare.clinical.crisis_rules import review_date_check, review_due_on
from ketacare.core.submission import AlreadySaved
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel
from ketacare.patients.models import Patient
from ketacare.safety.crisis_models import (
    PLAN_FIELDS,
    REQUIRED_PLAN_FIELDS,
    CrisisRecord,
    SafetyPlanLink,
    SafetyPlanReminder,
    SafetyPlanVersion,
)

TOKEN_BYTES = 32


def current_plan(patient: Patient) -> SafetyPlanVersion | None:
    return SafetyPlanVersion.objects.filter(patient=patient).order_by("-version").first()


def do_save_plan(
    actor: Actor,
    patient: Patient,
    data: Mapping[str, Any],
    *,
    crisis: CrisisRecord | None = None,
    based_on: int | None = None,
) -> SafetyPlanVersion:
    """Save the plan as the patient's next version. Each of the six steps is required, in the
    patient's own words; the review date defaults to 30 days, must be after today and at most
    90 days ahead (clinical.md §16c: review every 30–90 days).

    `based_on`: the version the form was drawn from (0: none yet). When another version was
    saved since, the save is refused (field `based_on`, naming that version, who and when)
    instead of silently burying that version's changes under this one; the same text saved
    again by the same person (Save pressed twice) raises `AlreadySaved` with the version."""
    values = {name: str(data.get(name) or "").strip() for name, _, _ in PLAN_FIELDS}
    for name in REQUIRED_PLAN_FIELDS:
        if not values[name]:
            label = next(lbl for n, lbl, _ in PLAN_FIELDS if n == name)
            raise ActionError(name, f"{name}: write “{label}” in the patient's own words.")
    today = clinic_today(patient.clinic)
    due = data.get("review_due_on") or review_due_on(today)
    if not isinstance(due, date):
        raise ActionError("review_due_on", "review_due_on: enter a date.")
    decision = review_date_check(today, due)  # after today, at most 90 days ahead (§16c)
    if not decision.ok:
        raise ActionError("review_due_on", "review_due_on: " + decision.reasons[0])
    if crisis is not None and crisis.patient_id != patient.pk:
        raise ActionError("crisis", "That crisis record belongs to another patient.")
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()  # serialise versions
        last = SafetyPlanVersion.objects.filter(patient=patient).aggregate(n=Max("version"))["n"]
        if based_on is not None and (last or 0) != based_on:
            _changed_since(actor, patient, values, based_on)
        plan = SafetyPlanVersion.objects.create(
            patient=patient,
            version=(last or 0) + 1,
            made_with_patient=bool(data.get("made_with_patient", True)),
            review_due_on=due,
            crisis=crisis,
            created_by_id=actor.user_id,
            **values,
        )
        record(
            actor,
            "safety.plan.saved",
            object_type="safety_plan",
            object_id=plan.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"version": plan.version, "review_due_on": due.isoformat()},
        )
    return plan


def _changed_since(
    actor: Actor, patient: Patient, values: Mapping[str, str], based_on: int
) -> None:
    newest = (
        SafetyPlanVersion.objects.filter(patient=patient, version__gt=based_on)
        .select_related("created_by", "patient__clinic")
        .order_by("-version")
        .first()
    )
    if newest is None:  # a version number from nowhere: the form is not this chart's
        raise ActionError("based_on", "This form is out of date: open the safety plan again.")
    same = all(getattr(newest, name) == values[name] for name, _, _ in PLAN_FIELDS)
    if same and newest.created_by_id == actor.user_id and actor.user_id is not None:
        raise AlreadySaved(str(newest.version))
    who = newest.created_by.display_name if newest.created_by else "someone"
    at = timezone.localtime(newest.created_at, clinic_zone(patient.clinic))
    raise ActionError(
        "based_on",
        f"Version {newest.version} of the safety plan was saved by {who} at "
        f"{at:%Y-%m-%d %H:%M} while you were writing, so yours was not saved: your text is "
        f"kept below. Compare it with version {newest.version}, then save again to make "
        "yours the next version.",
    )


# --- the patient's link -----------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def link_url(raw: str) -> str:
    return settings.KETACARE_BASE_URL + reverse("safety_plan_public:plan", args=[raw])


@dataclass(frozen=True)
class IssuedPlanLink:
    link: SafetyPlanLink
    token: str
    url: str


def do_issue_plan_link(actor: Actor, patient: Patient) -> IssuedPlanLink:
    if current_plan(patient) is None:
        raise ActionError("plan", "Write the safety plan with the patient first.")
    days = int(getattr(settings, "KETACARE_SAFETY_PLAN_LINK_DAYS", 90))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        link = SafetyPlanLink.objects.create(
            patient=patient,
            token_hash=hash_token(token),
            created_by_id=actor.user_id,
            expires_at=timezone.now() + timedelta(days=days),
        )
        record(
            actor,
            "safety.plan_link.issued",
            object_type="safety_plan_link",
            object_id=link.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"expires_at": link.expires_at.isoformat()},
        )
    return IssuedPlanLink(link, token, link_url(token))


def do_revoke_plan_link(actor: Actor, link: SafetyPlanLink) -> None:
    with transaction.atomic():
        changed = SafetyPlanLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not changed:
            raise ActionError("link", "This link is already revoked.")
        record(
            actor,
            "safety.plan_link.revoked",
            object_type="safety_plan_link",
            object_id=link.pk,
            patient_id=link.patient_id,
            clinic_id=link.patient.clinic_id,
        )


def find_plan_link(raw: str) -> SafetyPlanLink | None:
    """A usable link for a raw token, or None (unknown, expired and revoked look the same)."""
    if not raw or len(raw) > 100:
        return None
    link = (
        SafetyPlanLink.objects.select_related("patient__clinic")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    return link if link is not None and link.is_usable else None


def do_open_plan_link(link: SafetyPlanLink, ip: str) -> None:
    now = timezone.now()
    SafetyPlanLink.objects.filter(pk=link.pk).update(last_opened_at=now)
    record(
        Actor(label="patient (safety plan link)", clinic_id=link.patient.clinic_id, ip=ip[:64]),
        "safety.plan_link.opened",
        object_type="safety_plan_link",
        object_id=link.pk,
        patient_id=link.patient_id,
        clinic_id=link.patient.clinic_id,
    )


# --- review reminders -------------------------------------------------------------------------


def _current_versions() -> Any:
    newest = (
        SafetyPlanVersion.objects.filter(patient=OuterRef("patient"))
        .order_by("-version")
        .values("pk")[:1]
    )
    return SafetyPlanVersion.objects.filter(pk=Subquery(newest))


def _enqueue(log_id: int) -> None:
    from ketacare.measures.tasks import send_notification

    send_notification.enqueue(log_id)


REMINDER_PAGE = 200  # plans read per query; a pass reads every candidate


def _due_candidates(now: datetime) -> Iterator[SafetyPlanVersion]:
    """Current versions without a reminder whose review date may have come somewhere (the
    clinic's own date is checked by the caller), earliest first, paging on so that many plans
    due tomorrow in one zone cannot hold back those due today in another."""
    after: tuple[date, int] | None = None
    while True:
        rows = _current_versions().filter(
            review_due_on__lte=now.date() + timedelta(days=1), reminder__isnull=True
        )
        if after is not None:
            rows = rows.filter(
                Q(review_due_on__gt=after[0]) | Q(review_due_on=after[0], pk__gt=after[1])
            )
        page = list(
            rows.select_related("patient__clinic", "created_by").order_by("review_due_on", "pk")[
                :REMINDER_PAGE
            ]
        )
        yield from page
        if len(page) < REMINDER_PAGE:
            return
        after = (page[-1].review_due_on, page[-1].pk)


def review_reminder_to(plan: SafetyPlanVersion) -> str:
    """Who is reminded: the clinician who wrote the version while they still work at the
    patient's clinic; else the patient's prescriber; else the clinic's director. Never someone
    who has left (the reminder would reach nobody who can act)."""
    from ketacare.safety.rota import director_of, patient_prescriber

    clinic = plan.patient.clinic
    for person in (plan.created_by, patient_prescriber(plan.patient), director_of(clinic)):
        if person is not None and person.is_active and _works_at(person.pk, clinic.pk):
            return person.email
    return ""


def _works_at(user_id: int, clinic_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user_id, clinic_id=clinic_id, is_active=True, user__is_active=True
    ).exists()


def remind_due_reviews(now: datetime) -> int:
    """Email a clinician (`review_reminder_to`) for each current plan whose review date has
    come in the clinic's time zone, once per version."""
    sent = 0
    for plan in _due_candidates(now):
        if plan.review_due_on > clinic_today(plan.patient.clinic, now):
            continue
        to = review_reminder_to(plan)
        try:
            with transaction.atomic():
                SafetyPlanReminder.objects.create(plan=plan, sent_at=now, to=to)
                if to:
                    url = settings.KETACARE_BASE_URL + reverse(
                        "crisis:plan", args=[plan.patient_id]
                    )
                    log = queue_notification(
                        channel=Channel.EMAIL,
                        to=to,
                        subject=f"Safety plan review due at {plan.patient.clinic.name}",
                        body=(
                            "A patient's safety plan is due for review "
                            f"(due {plan.review_due_on:%Y-%m-%d}).\n\nOpen it: {url}\n"
                        ),
                        purpose="safety.plan_review",
                        reference=f"safetyplan:{plan.pk}",
                        patient=plan.patient,
                        clinic=plan.patient.clinic,
                    )
                    transaction.on_commit(partial(_enqueue, log.pk))
                record(
                    Actor(label="KetaCare (watch pass)"),
                    "safety.plan.review_reminded",
                    object_type="safety_plan",
                    object_id=plan.pk,
                    patient_id=plan.patient_id,
                    clinic_id=plan.patient.clinic_id,
                    detail={"review_due_on": plan.review_due_on.isoformat(), "emailed": bool(to)},
                )
        except IntegrityError:
            continue  # another worker claimed it
        sent += 1
    return sent
