"""The risk timeline on the chart: every flag, screen, notification, escalation,
acknowledgment, resolution (and, from the crisis workflow, disposition) in time order.

Extensible: a source is a function `source(patient) -> list[TimelineEntry]`; append its dotted
path to TIMELINE_SOURCES (the crisis workflow adds its records this way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.db.models import Q
from django.urls import reverse

from ketacare.patients.models import Patient
from ketacare.safety.escalation_models import EscalationEvent, EventKind
from ketacare.safety.models import RiskFlag

RISK_SCALES = ("phq9", "qids_sr16", "cssrs_recent")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # flag, screen, notified, escalated, acknowledged, resolved, disposition, …
    title: str
    detail: str = ""
    level: str = ""
    url: str = ""


def flag_entries(patient: Patient) -> list[TimelineEntry]:
    """Each flag when raised, and when resolved with the Resolve action (a crisis record's
    close-out is on the timeline through `crisis_entries`)."""
    entries = []
    for f in RiskFlag.objects.filter(patient=patient).select_related("resolved_by"):
        url = reverse("safety:flag", args=[f.pk])
        entries.append(
            TimelineEntry(
                at=f.raised_at,
                kind="flag",
                title=f"{f.get_level_display()} risk flag raised — {f.get_source_display()}",
                detail=f.reason,
                level=f.level,
                url=url,
            )
        )
        if f.resolved_at is not None:
            who = f.resolved_by.display_name if f.resolved_by else "someone"
            entries.append(
                TimelineEntry(
                    at=f.resolved_at,
                    kind="resolved",
                    title=f"{f.get_level_display()} risk flag resolved by {who}",
                    detail=f.resolution_note,
                    url=url,
                )
            )
    return entries


def screen_entries(patient: Patient) -> list[TimelineEntry]:
    from ketacare.measures.models import Assessment

    entries = []
    # Every C-SSRS screen; a PHQ-9 or QIDS only when its suicide item raised a flag (the
    # others are in the assessments section, and a long course has hundreds of them).
    screens = (
        Assessment.objects.filter(patient=patient, scale_code__in=RISK_SCALES)
        .filter(Q(scale_code="cssrs_recent") | Q(risk_flags__isnull=False))
        .exclude(status="entered_in_error")
        .distinct()
    )
    for a in screens:
        if a.scale_code == "cssrs_recent":
            title = f"C-SSRS screen: {a.risk_level or 'no risk level'}"
        elif a.scale_code == "phq9":
            title = f"PHQ-9 {a.total if a.total is not None else '—'}; item 9 = " + str(
                a.answers.get("phq9-9", "—")
            )
        else:
            title = f"QIDS-SR16; item 12 = {a.answers.get('qids_sr16-12', '—')}"
        entries.append(
            TimelineEntry(
                at=a.administered_at,
                kind="screen",
                title=title,
                detail=a.get_source_display(),
                level=a.risk_level or "",
                url=reverse("measures:detail", args=[patient.pk, a.pk]),
            )
        )
    return entries


def escalation_entries(patient: Patient) -> list[TimelineEntry]:
    entries = []
    events = EscalationEvent.objects.filter(flag__patient=patient).exclude(kind=EventKind.RAISED)
    for e in events.select_related("recipient", "actor"):
        if e.kind == EventKind.ACKNOWLEDGED:
            who = e.actor.display_name if e.actor else "someone"
            title = f"Acknowledged by {who}"
        elif e.recipient is not None:
            title = f"{e.get_kind_display()}: {e.recipient.display_name} ({e.role})"
        else:
            title = e.get_kind_display()
        entries.append(
            TimelineEntry(
                at=e.at,
                kind=e.kind,
                title=title,
                detail=e.detail,
                url=reverse("safety:flag", args=[e.flag_id]),
            )
        )
    return entries


def crisis_entries(patient: Patient) -> list[TimelineEntry]:
    """Crisis-record steps and dispositions, dosing blocks and safety-plan versions."""
    from ketacare.safety.crisis_timeline import crisis_timeline_events

    url = reverse("crisis:overview", args=[patient.pk])
    return [
        TimelineEntry(at=at, kind=kind.split(".")[0], title=text, url=url)
        for at, kind, text in crisis_timeline_events(patient)
    ]


TIMELINE_SOURCES: list[str] = [
    "ketacare.safety.timeline.flag_entries",
    "ketacare.safety.timeline.screen_entries",
    "ketacare.safety.timeline.escalation_entries",
    "ketacare.safety.timeline.crisis_entries",
]


def _load(path: str) -> Callable[[Patient], list[TimelineEntry]]:
    module_name, _, attr = path.rpartition(".")
    found: Callable[[Patient], list[TimelineEntry]] = getattr(import_module(module_name), attr)
    return found


# Entries at the same instant in the order they happen: the screen, the flag it raised, the
# crisis record the flag opened (same `opened_at` as the flag's `raised_at`) and its dosing
# block, then the people told, the acknowledgment, the resolution. Sorting by time alone
# kept the sources' order, so "flag raised" showed above (after) the record it opened.
_SAME_TIME_ORDER = {
    "screen": 0,
    "flag": 1,
    "crisis": 2,
    "dosing": 3,
    "safety_plan": 3,
    "nobody": 4,
    "notified": 4,
    "escalated": 5,
    "exhausted": 6,
    "acknowledged": 7,
    "resolved": 8,
}


def _chronological(entry: TimelineEntry) -> tuple[datetime, int]:
    return entry.at, _SAME_TIME_ORDER.get(entry.kind, 5)


def risk_timeline(patient: Patient) -> list[TimelineEntry]:
    """Every entry from every source, newest first."""
    entries: list[TimelineEntry] = []
    for path in TIMELINE_SOURCES:
        entries += _load(path)(patient)
    return sorted(entries, key=_chronological, reverse=True)
