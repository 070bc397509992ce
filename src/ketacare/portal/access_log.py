""" "Who has looked at my record": the patient's own entries of the audit trail.

Only successful actions by staff (an actor with a clinic role) on this patient are shown:
never another patient's entries, the patient's own actions, refusals, or system jobs. Each
row names the staff member, their role, what they did (in plain words) and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ketacare.accounts.audit import AuditEntry, Outcome
from ketacare.accounts.models import Role, User
from ketacare.patients.models import Patient

NOUNS = {
    "chart": "your chart",
    "demographics": "your contact details",
    "patient": "your record",
    "allergy": "your allergies",
    "allergy_intolerance": "your allergies",
    "diagnosis": "your diagnoses",
    "condition": "your diagnoses",
    "measurement": "your measurements",
    "assessment": "your questionnaire scores",
    "observation": "your questionnaire scores",
    "questionnaire_response": "your questionnaire answers",
    "episode": "your episode of care",
    "episodes": "your episodes of care",
    "evaluation": "your evaluation",
    "decision": "your treatment decision",
    "consent": "your consent forms",
    "rems": "your REMS forms",
    "medication": "your medications",
    "medication_statement": "your medications",
    "plan": "your treatment plan",
    "care_plan": "your treatment plan",
    "review": "a review of your plan",
    "appointment": "your appointments",
    "series": "your appointments",
    "session": "your treatment session",
    "flag": "a safety flag",
    "selfreport": "your questionnaire link",
    "thread": "your messages",
    "inbox": "your messages",
    "message": "your messages",
    "communication": "your messages",
    "account": "your portal account",
}
# Nouns that depend on the app too (a safety plan is not the treatment plan).
APP_NOUNS = {
    ("safety", "plan"): "your safety plan",
    ("safety", "plan_link"): "your safety plan link",
    # A flag or chair alert of yours listed on a staff member's banner (safety/banner.py).
    ("safety", "banner"): "a safety alert about you",
}
LOOKED = {"viewed", "read", "searched", "opened", "form_opened", "history_viewed", "previewed"}
LOOKED |= {"printed"}


def describe(action: str) -> str:
    """Plain words for an audit action, e.g. 'patients.chart.viewed' → 'Looked at your chart'."""
    parts = action.split(".")
    if len(parts) < 3:
        return "Worked on your record"
    noun = APP_NOUNS.get((parts[0], parts[1])) or NOUNS.get(parts[1], "your record")
    verb = parts[2]
    if verb in LOOKED or verb.endswith("viewed"):
        return f"Looked at {noun}"
    return f"Updated {noun}"


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    who: str
    role: str
    what: str


def access_log(patient: Patient, limit: int = 200) -> list[AccessRow]:
    entries = list(
        AuditEntry.objects.filter(
            patient_id=str(patient.pk),
            clinic_id=patient.clinic_id,
            outcome=Outcome.SUCCESS,
            actor_role__in=Role.values,
            actor_id__isnull=False,
        ).order_by("-seq")[:limit]
    )
    names = {
        u.pk: u.display_name for u in User.objects.filter(pk__in={e.actor_id for e in entries})
    }
    roles = dict(Role.choices)
    return [
        AccessRow(
            at=e.at,
            who=names.get(e.actor_id or 0, "A staff member"),
            role=roles.get(e.actor_role, ""),
            what=describe(e.action),
        )
        for e in entries
    ]
