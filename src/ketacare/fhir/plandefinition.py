"""A clinic's protocol versions → FHIR R4 PlanDefinition, and PlanDefinition search.

One PlanDefinition per protocol version the clinic has: version 1 of every library protocol
(`clinical.protocols.LIBRARY`) plus each of the clinic's stored versions (`ClinicProtocol`).
Built on every request; nothing is stored.

- `id` = `{code with _ as -}-v{version}` (`iv-ketamine-depression-v1`; FHIR ids allow no `_`,
  the code with `_` is accepted on read too).
- `url`: the library version is the same at every clinic, so its canonical is
  `http://ketacare.org/fhir/PlanDefinition/{id}`; a clinic's own version gets
  `http://ketacare.org/fhir/clinic/{slug}/PlanDefinition/{id}`, so two clinics' different
  "version 2" never share a canonical. `version` = the version number.
- `status`: the clinic's current version is `active`, or `retired` when the clinic withdrew
  the protocol from new plans; earlier versions are `retired` (superseded; plans written under
  them keep them and still point at them).
- `type` clinical-protocol; `description` = route, indication and the dose rule; `action` per
  phase (frequency as `timingTiming` where one Timing can say it, the phase's source as a
  citation, `relatedAction` after the previous phase); `relatedArtifact` citations = the
  protocol's sources (IDs of shared/reference/clinical.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.clinical.protocols import LIBRARY, DoseKind, DoseRule, Phase, Protocol
from ketacare.fhir.clinical_common import prune
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire import KETACARE_FHIR
from ketacare.fhir.r4 import number, repeat_of, weeks
from ketacare.plans.models import ClinicProtocol
from ketacare.plans.protocols import build_protocol

PLAN_DEFINITION_PARAMS = ("url", "name", "status")
TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
LIBRARY_PUBLISHER = "KetaCare protocol library"
PLAN_DEFINITION_ID = re.compile(r"^(?P<code>[a-z][a-z0-9_-]{0,59})-v(?P<version>[1-9]\d{0,5})$")
INDICATIONS = {
    "trd": "treatment-resistant depression",
    "mdd_suicidal_ideation": "major depressive disorder with acute suicidal ideation or behaviour",
    "ptsd": "post-traumatic stress disorder",
    "anxiety": "anxiety",
    "chronic_pain": "chronic pain",
    "other": "other indications",
}


@dataclass(frozen=True)
class ProtocolVersion:
    """One version of one protocol as a clinic has it."""

    protocol: Protocol
    clinic: Clinic
    is_library: bool
    status: str  # active | retired
    row: ClinicProtocol | None  # the clinic's stored version (None: the library default)


def definition_id(code: str, version: int) -> str:
    return f"{code.replace('_', '-')}-v{version}"


def parse_definition_id(resource_id: str) -> tuple[str, int] | None:
    match = PLAN_DEFINITION_ID.match(resource_id)
    if match is None:
        return None
    return match["code"].replace("-", "_"), int(match["version"])


def definition_url(clinic: Clinic, code: str, version: int) -> str:
    """The canonical URL of `code` at `version` as `clinic` has it."""
    base = LIBRARY.get(code)
    if base is not None and version <= base.version:
        return f"{KETACARE_FHIR}/PlanDefinition/{definition_id(code, version)}"
    return f"{KETACARE_FHIR}/clinic/{clinic.slug}/PlanDefinition/{definition_id(code, version)}"


def protocol_versions(clinic: Clinic, only: str | None = None) -> list[ProtocolVersion]:
    """Every protocol version of the clinic (or of protocol `only`): library order, then
    version."""
    stored = ClinicProtocol.objects.filter(clinic=clinic)
    if only is not None:
        stored = stored.filter(code=only)
    rows: dict[str, list[ClinicProtocol]] = {}
    for row in stored.order_by("code", "version"):
        rows.setdefault(row.code, []).append(row)
    found: list[ProtocolVersion] = []
    for code, base in LIBRARY.items():
        if only is not None and code != only:
            continue
        edits = rows.get(code, [])
        found.append(ProtocolVersion(base, clinic, True, "retired" if edits else "active", None))
        for row in edits:
            current = row is edits[-1] and row.available
            protocol = build_protocol(code, row.version, row.changes, row.reason)
            status = "active" if current else "retired"
            found.append(ProtocolVersion(protocol, clinic, False, status, row))
    return found


def _name(code: str) -> str:
    """A computer-friendly name (FHIR inv. cnl-0): the code in PascalCase."""
    return "".join(part.capitalize() for part in code.split("_"))


def _amount(value: Any, unit: str) -> str:
    return f"{number(value)} {unit}"


def dose_text(rule: DoseRule) -> str:
    """The dose rule in words: value, basis, time, steps, caps."""
    parts = [_amount(rule.value, rule.unit)]
    if rule.is_weight_based:
        parts.append(f"({rule.weight_basis.label})")
    if rule.kind is DoseKind.DEVICES_28MG:
        parts.append(f"as {number(rule.device_mg)} mg nasal devices")
    if rule.duration_min is not None:
        parts.append(f"over {rule.duration_min} min")
    text = " ".join(parts)
    if rule.first_session_value is not None:
        text += f"; first session {_amount(rule.first_session_value, rule.unit)}"
    if rule.steps:
        text += f"; titration steps {', '.join(str(number(s)) for s in rule.steps)} {rule.unit}"
    if rule.max_dose_mg is not None:
        text += f"; at most {_amount(rule.max_dose_mg, 'mg')} a session"
    if rule.max_rate_mg_per_h is not None:
        text += f"; at most {_amount(rule.max_rate_mg_per_h, 'mg/h')}"
    return text + f" ({rule.source})"


def _description(protocol: Protocol) -> str:
    lines = [
        f"{protocol.route.label} for {INDICATIONS.get(protocol.indication.value, 'other')}.",
        f"Dose: {dose_text(protocol.dose)}.",
    ]
    if protocol.stop_rule is not None:
        rule = protocol.stop_rule
        lines.append(f"Stop rule: {rule.criterion} {rule.action} ({rule.source}).")
    lines += [f"Review: {point.what} ({point.source})" for point in protocol.review_points]
    if protocol.off_label:
        lines.append("Off-label use.")
    return "\n\n".join(lines)


def _action_id(phase: Phase) -> str:
    return phase.code.replace("_", "-")  # FHIR ids allow no "_"


def _action(phase: Phase, previous: Phase | None) -> dict[str, Any]:
    description = phase.describe() + "."
    if phase.min_interval_hours is not None:
        description += f" At least {phase.min_interval_hours} h between sessions."
    if phase.dose is not None:
        description += f" Dose in this phase: {dose_text(phase.dose)}."
    repeat = repeat_of(phase.frequencies)
    if repeat is not None:
        if phase.sessions is not None:
            repeat["count"] = phase.sessions
        if phase.weeks is not None:
            low, high = phase.weeks
            if low == high:
                repeat["boundsDuration"] = weeks(low)
            else:
                repeat["boundsRange"] = {"low": weeks(low), "high": weeks(high)}
    return prune(
        {
            "id": _action_id(phase),
            "title": phase.label,
            "description": description,
            "code": [{"text": phase.kind.value}],
            "documentation": [{"type": "citation", "citation": phase.source}],
            "relatedAction": (
                [{"actionId": _action_id(previous), "relationship": "after-end"}]
                if previous
                else []
            ),
            "timingTiming": {"repeat": repeat} if repeat is not None else None,
        }
    )


def definition_to_fhir(found: ProtocolVersion) -> dict[str, Any]:
    protocol, row = found.protocol, found.row
    changed: datetime | None = row.created_at if row is not None else None
    return prune(
        {
            "resourceType": "PlanDefinition",
            "id": definition_id(protocol.code, protocol.version),
            "meta": {"lastUpdated": fhir_instant(changed)} if changed else None,
            "url": definition_url(found.clinic, protocol.code, protocol.version),
            "version": str(protocol.version),
            "name": _name(protocol.code),
            "title": protocol.name,
            "type": {
                "coding": [
                    {
                        "system": TYPE_SYSTEM,
                        "code": "clinical-protocol",
                        "display": "Clinical Protocol",
                    }
                ]
            },
            "status": found.status,
            "experimental": False,
            "date": fhir_instant(changed) if changed else None,
            "publisher": LIBRARY_PUBLISHER if found.is_library else found.clinic.name,
            "description": _description(protocol),
            "purpose": "\n\n".join(protocol.notes),
            "usage": "\n\n".join(protocol.warnings),
            "relatedArtifact": [
                {
                    "type": "citation",
                    "label": source,
                    "citation": f"KetaCare clinical reference, source {source}",
                }
                for source in protocol.sources
            ],
            "action": [
                _action(phase, protocol.phases[n - 1] if n else None)
                for n, phase in enumerate(protocol.phases)
            ],
        }
    )


def _canonical(value: str) -> tuple[str, str | None]:
    url, _, version = value.partition("|")
    return url, version or None


def run_definition_search(clinic: Clinic, search: Search) -> list[ProtocolVersion]:
    found = protocol_versions(clinic)
    for value in search.values("url"):
        url, version = _canonical(value)
        found = [
            f
            for f in found
            if definition_url(clinic, f.protocol.code, f.protocol.version) == url
            and version in (None, str(f.protocol.version))
        ]
    for value in search.values("name"):
        # FHIR string search: starts-with by default; we match any part, ignoring case, on the
        # name and the title (a person searches "esketamine", not "EsketamineTrdUs").
        wanted = value.casefold()
        found = [
            f
            for f in found
            if wanted in f.protocol.name.casefold() or wanted in _name(f.protocol.code).casefold()
        ]
    for value in search.values("status"):
        found = [f for f in found if f.status == value]
    return found


def definition_row(clinic: Clinic, resource_id: str) -> ProtocolVersion | None:
    parsed = parse_definition_id(resource_id)
    if parsed is None:
        return None
    code, version = parsed
    for found in protocol_versions(clinic, code):
        if found.protocol.code == code and found.protocol.version == version:
            return found
    return None
