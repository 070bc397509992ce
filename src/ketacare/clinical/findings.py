"""Shared vocabulary of the eligibility engine and its companions: routes, evidence tags,
severities and the `Finding` a rule raises.

It sits outside `eligibility/` so that `interactions.py` and `treatment_resistance.py` can use
it without importing the engine that imports them. The tags are those of
shared/reference/clinical.md ("How to read the tags").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Route(StrEnum):
    """How the drug is given. Only esketamine has label and REMS rules (clinical.md §1)."""

    IV_RACEMIC = "iv_racemic"
    ESKETAMINE_NASAL = "esketamine_nasal"
    IM_RACEMIC = "im_racemic"
    ORAL_SUBLINGUAL_RACEMIC = "oral_sublingual_racemic"

    @property
    def is_esketamine(self) -> bool:
        return self is Route.ESKETAMINE_NASAL

    @property
    def label(self) -> str:
        return _ROUTE_LABELS[self]


_ROUTE_LABELS = {
    Route.IV_RACEMIC: "IV racemic ketamine (off-label)",
    Route.ESKETAMINE_NASAL: "esketamine nasal spray (SPRAVATO)",
    Route.IM_RACEMIC: "IM racemic ketamine (off-label)",
    Route.ORAL_SUBLINGUAL_RACEMIC: "oral/sublingual racemic ketamine (off-label)",
}

RACEMIC_ROUTES: frozenset[Route] = frozenset(r for r in Route if not r.is_esketamine)


class Tag(StrEnum):
    """Strength of the source behind a rule (clinical.md, "How to read the tags")."""

    LABEL = "LABEL"  # FDA label: hard rule for esketamine, the legal floor
    LABEL_EU = "LABEL-EU"  # EU/UK label: a jurisdiction setting, not the US floor
    REMS = "REMS"  # SPRAVATO REMS: hard stop / compliance workflow
    GUIDELINE = "GUIDELINE"  # default on, clinician may override with a documented reason
    EVIDENCE = "EVIDENCE"  # trial numbers: protocol template defaults
    PRACTICE = "PRACTICE"  # practice variation: configurable only
    UNCONFIRMED = "UNCONFIRMED"  # not found in a retrieved source: clinician must verify


class Severity(StrEnum):
    """What a finding does to the decision, strongest first.

    hard_stop: not eligible, no override. relative: not eligible until a prescriber documents
    a justification, then a condition. caution: a condition of treatment (monitoring, a step
    to take first). info: shown to the prescriber, changes nothing.
    """

    HARD_STOP = "hard_stop"
    RELATIVE = "relative"
    CAUTION = "caution"
    INFO = "info"

    @property
    def strength(self) -> int:
        """Higher is stronger: info 0 < caution 1 < relative 2 < hard_stop 3."""
        return _STRENGTH[self]


_STRENGTH = {Severity.INFO: 0, Severity.CAUTION: 1, Severity.RELATIVE: 2, Severity.HARD_STOP: 3}


@dataclass(frozen=True)
class Finding:
    """One reason bearing on eligibility, with where it comes from.

    `detail` says in plain words what was found in this patient and why it matters;
    `source` names the section of shared/reference/clinical.md and its source IDs;
    `overridable` is true only for relative findings (a prescriber's documented justification
    turns them into conditions); `justification` holds that text once given.
    """

    code: str
    severity: Severity
    title: str
    detail: str
    source: str
    tag: Tag
    overridable: bool
    justification: str | None = None
