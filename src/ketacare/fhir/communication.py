"""Portal messages → FHIR R4 Communication, and Communication search.

- `id` = the message id; `status` completed; `subject` and, for the patient's messages,
  `sender` = `Patient/{id}`; staff senders are display only (no Practitioner endpoint); the
  recipient is the patient, or the clinic's care team (display).
- `topic.text` = the thread subject; `sent` / `received` (= read by the other side);
  `payload[0].contentString` = the text; `category.text` = "message" or "reschedule request";
  a message with risk words carries `priority` urgent and a note naming the phrases.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import (
    in_clinic,
    instant,
    last_updated,
    patient_reference,
    prune,
)
from ketacare.fhir.measures_search import Search, date_filter, date_range
from ketacare.portal.models import Message, MessageKind

COMMUNICATION_PARAMS = ("patient", "sent")


def parse_communication_id(resource_id: str) -> int | None:
    # ASCII digits only: str.isdigit() also takes "²" (int() refuses it) and "١" (read as 1).
    digits = resource_id.isascii() and resource_id.isdigit()
    return int(resource_id) if digits and len(resource_id) < 19 else None


def communication_to_fhir(message: Message) -> dict[str, Any]:
    thread = message.thread
    patient = patient_reference(thread.patient_id)
    team = {"display": f"Care team, {thread.clinic.name}"}
    staff = {"display": message.sender.display_name} if message.sender else team
    return prune(
        {
            "resourceType": "Communication",
            "id": str(message.pk),
            "meta": last_updated(message.sent_at, message.read_at),  # read: `received` set
            "status": "completed",
            "category": [
                {
                    "text": "reschedule request"
                    if message.kind == MessageKind.RESCHEDULE
                    else "message"
                }
            ],
            "priority": "urgent" if message.risk_phrases else None,
            "subject": patient,
            "topic": {"text": thread.subject},
            "about": (
                [{"reference": f"Appointment/{message.appointment_id}"}]
                if message.appointment_id
                else []
            ),
            "sent": instant(message.sent_at),
            "received": instant(message.read_at),
            "sender": patient if message.from_patient else staff,
            "recipient": [team if message.from_patient else patient],
            "payload": [{"contentString": message.body}],
            "note": (
                [{"text": "Risk words: " + ", ".join(message.risk_phrases)}]
                if message.risk_phrases
                else []
            ),
        }
    )


def communication_rows(clinic: Clinic) -> QuerySet[Message]:
    return Message.objects.filter(thread__clinic=clinic).select_related(
        "thread", "thread__clinic", "sender"
    )


def run_communication_search(clinic: Clinic, search: Search) -> QuerySet[Message]:
    rows = in_clinic(communication_rows(clinic), clinic, search, "thread__patient")
    for value in search.values("sent"):
        rows = rows.filter(date_filter("sent_at", *date_range("sent", value)))
    return rows.order_by("sent_at", "pk")


def communication_row(clinic: Clinic, pk: int) -> Message | None:
    return communication_rows(clinic).filter(pk=pk).first()
