"""The reminder that a crisis's outpatient follow-up is due (issue #7 item 4: "outpatient with
safety plan and follow-up within 24–72 h").

The follow-up time was stored on the record and shown on its page, and nothing else: once the
record was closed nobody was told when the follow-up came due. `remind_due_followups(now)`,
a watcher of the worker's watch pass (registered in `SafetyConfig.ready`), tells the clinician
who recorded the disposition and the patient's prescriber, once per follow-up time: an in-app
notification and an email that does not name the patient. The claim is a conditional UPDATE
of `CrisisRecord.follow_up_reminded_at`, so two workers never send twice; a new disposition
with a new follow-up time clears it (`crisis_actions.do_record_step`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import User
from ketacare.clinical.crisis_rules import Disposition, Step
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.escalation_models import StaffNotification

WATCHER = "ketacare.safety.followup.remind_due_followups"
# A follow-up more than this long past when the reminder first could go (the worker was
# down for days, or the feature is new) is not announced as "due now".
STALE_AFTER = timedelta(days=7)
SYSTEM = Actor(label="KetaCare (watch pass)")


def followup_recipients(crisis: CrisisRecord) -> list[User]:
    """Who recorded the latest disposition, and the patient's prescriber, while they work at
    the patient's clinic."""
    from ketacare.safety.rota import _active_member, patient_prescriber

    latest = crisis.steps.filter(kind=Step.DISPOSITION).order_by("-recorded_at", "-pk").first()
    people = [latest.author if latest else None, patient_prescriber(crisis.patient)]
    found: dict[int, User] = {}
    for person in people:
        if person is not None and _active_member(crisis.patient.clinic, person.pk):
            found.setdefault(person.pk, person)
    return list(found.values())


def remind_due_followups(now: datetime) -> int:
    """Remind about every outpatient follow-up that has come due; returns how many."""
    due = CrisisRecord.objects.filter(
        disposition=Disposition.OUTPATIENT,
        follow_up_at__lte=now,
        follow_up_at__gt=now - STALE_AFTER,
        follow_up_reminded_at__isnull=True,
    ).values_list("pk", "follow_up_at")
    sent = 0
    for pk, follow_up_at in list(due[:500]):
        with transaction.atomic():
            claimed = CrisisRecord.objects.filter(
                pk=pk, follow_up_at=follow_up_at, follow_up_reminded_at__isnull=True
            ).update(follow_up_reminded_at=now)
            if not claimed:
                continue  # another worker has it, or the disposition changed meanwhile
            crisis = CrisisRecord.objects.select_related("patient__clinic").get(pk=pk)
            _remind(crisis)
        sent += 1
    return sent


def _remind(crisis: CrisisRecord) -> None:
    patient, clinic = crisis.patient, crisis.patient.clinic
    url = settings.KETACARE_BASE_URL + reverse("crisis:crisis", args=[patient.pk, crisis.pk])
    people = followup_recipients(crisis)
    for user in people:
        StaffNotification.objects.create(
            user=user,
            clinic=clinic,
            flag_id=crisis.flag_id,
            text=f"Crisis follow-up due now: {patient.display_name}"[:250] + f" ({patient.mrn}).",
        )
        if user.email:
            log = queue_notification(
                channel=Channel.EMAIL,
                to=user.email,
                subject=f"[KetaCare] Crisis follow-up due at {clinic.name}",
                body=(
                    "A patient's follow-up after a crisis (outpatient disposition) is due now.\n\n"
                    f"Open the crisis record: {url}\n"
                ),
                purpose="safety.crisis_follow_up",
                reference=f"crisisfollowup:{crisis.pk}",
                patient=patient,
                clinic=clinic,
            )
            transaction.on_commit(partial(_enqueue, log.pk))
    record(
        SYSTEM,
        "safety.crisis.follow_up_reminded",
        object_type="crisis_record",
        object_id=crisis.pk,
        patient_id=patient.pk,
        clinic_id=clinic.pk,
        detail={"to": [u.pk for u in people], "follow_up_at": str(crisis.follow_up_at)},
    )


def _enqueue(log_id: int) -> None:
    from ketacare.safety.escalation import _enqueue as enqueue_all

    enqueue_all([log_id])
