"""A clinic's response and remission rules: the library defaults plus the clinic's changes.

    rules = response_rules_for(clinic)          # a clinical.response.ResponseRules
    do_set_response_rules(actor, clinic, {"remission.madrs": 12}, reason="esketamine programme")

Every page that shows a course (chart section, episodes, trajectories) classifies it with
`response_rules_for(patient.clinic)`, so a clinic's definition is applied everywhere at once,
and `ResponseRules.source` names the setting in the reasons shown with each result.
Which thresholds are configurable, and why: clinical.md §12 marks remission (MADRS ≤10 or
≤12), partial response (25 or 30 %) and relapse as programme choices, and how far before an
episode's start a baseline may be taken is [PRACTICE] (no window in §2b/§12); response (≥50 %)
and early improvement (≥20 %) are the standard definitions and stay fixed. Scale cut-offs,
bands and risk-flag levels are the sibling page's (`thresholds_settings.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.clinical.response import DEFAULT_SOURCES, ResponseRules
from ketacare.clinical.scales import SCALES
from ketacare.measures.models import ClinicResponseRules

DEFAULTS = ResponseRules()
# The scales whose remission threshold a clinic may set: those the library defines one for.
REMISSION_SCALES: tuple[str, ...] = tuple(DEFAULTS.remission_at_or_below)
# Relapse confirmation beyond this many assessments would hide a relapse for too long.
MAX_RELAPSE_CONSECUTIVE = 4
# Baseline look-back range: a week (the shortest recall window of a course scale, QIDS-SR16 and
# MADRS; instruments.md §6, §7) to six weeks (the longest adequate antidepressant trial,
# clinical.md §2a: an older score may predate a change of treatment).
LOOKBACK_DAYS_RANGE = (7, 42)


@dataclass(frozen=True)
class Setting:
    """One configurable threshold as the settings page shows it."""

    key: str  # "remission.<scale>", "partial_response_pct", "relapse_consecutive"
    label: str
    default: int
    current: int
    low: int
    high: int
    source: str

    @property
    def changed(self) -> bool:
        return self.current != self.default


def _row(clinic: Clinic | int) -> ClinicResponseRules | None:
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return ClinicResponseRules.objects.filter(clinic_id=clinic_id).first()


def rules_from(row: ClinicResponseRules | None) -> ResponseRules:
    if row is None:
        return DEFAULTS
    remission = {**DEFAULTS.remission_at_or_below, **row.remission_at_or_below}
    changes: dict[str, Any] = {}
    if remission != dict(DEFAULTS.remission_at_or_below):
        changes["remission_at_or_below"] = remission
    if row.partial_response_pct is not None:
        changes["partial_response_pct"] = row.partial_response_pct
    if row.relapse_consecutive is not None:
        changes["relapse_consecutive"] = row.relapse_consecutive
    if row.baseline_lookback_days is not None:
        changes["baseline_lookback_days"] = row.baseline_lookback_days
    if not changes:
        return DEFAULTS
    when = timezone.localtime(row.updated_at)
    return replace(DEFAULTS, source=f"this clinic's setting of {when:%Y-%m-%d}", **changes)


def response_rules_for(clinic: Clinic | int) -> ResponseRules:
    """The rules courses of this clinic's patients are classified by. One query."""
    return rules_from(_row(clinic))


def response_rules_preloaded(clinic: Clinic) -> ResponseRules:
    """The same for a clinic just read with `select_related("response_rules")` (no query)."""
    if not Clinic.response_rules.is_cached(clinic):
        return response_rules_for(clinic)
    try:
        return rules_from(clinic.response_rules)
    except ClinicResponseRules.DoesNotExist:
        return DEFAULTS


def settings_for(clinic: Clinic) -> list[Setting]:
    rules = response_rules_for(clinic)
    found = []
    for code in REMISSION_SCALES:
        scale = SCALES[code]
        found.append(
            Setting(
                f"remission.{code}",
                f"Remission: {scale.name.split(' (')[0]} at or below",
                DEFAULTS.remission_at_or_below[code],
                rules.remission_at_or_below[code],
                scale.min_total or 0,
                scale.max_total or 0,
                DEFAULT_SOURCES[f"remission.{code}"],
            )
        )
    found.append(
        Setting(
            "partial_response_pct",
            "Partial response: a fall from baseline of at least (%)",
            int(DEFAULTS.partial_response_pct),
            int(rules.partial_response_pct),
            int(DEFAULTS.early_improvement_pct),
            int(DEFAULTS.response_pct),
            DEFAULT_SOURCES["partial_response_pct"],
        )
    )
    found.append(
        Setting(
            "relapse_consecutive",
            "Relapse: after how many assessments in a row that lose response",
            DEFAULTS.relapse_consecutive,
            rules.relapse_consecutive,
            1,
            MAX_RELAPSE_CONSECUTIVE,
            DEFAULT_SOURCES["relapse_consecutive"],
        )
    )
    found.append(
        Setting(
            "baseline_lookback_days",
            "Baseline: count scores taken up to this many days before an episode starts",
            DEFAULTS.baseline_lookback_days,
            rules.baseline_lookback_days,
            *LOOKBACK_DAYS_RANGE,
            DEFAULT_SOURCES["baseline_lookback_days"],
        )
    )
    return found


def do_set_response_rules(
    actor: Actor, clinic: Clinic, values: Mapping[str, int], reason: str
) -> ClinicResponseRules:
    """Set the clinic's thresholds. `values` maps each `Setting.key` to an integer (missing
    keys keep the current value); a value equal to the library default stores no override."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason", "Say why the definition changes (e.g. the programme).")
    if len(reason) > 2000:
        raise ActionError("reason", "Keep the reason to at most 2000 characters.")
    by_key = {s.key: s for s in settings_for(clinic)}
    wanted: dict[str, int] = {}
    for key, value in values.items():
        setting = by_key.get(key)
        if setting is None:
            raise ActionError(key, f"{key} is not a setting a clinic can change.")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ActionError(key, f"{setting.label}: give a whole number.")
        if not setting.low <= value <= setting.high:
            raise ActionError(
                key, f"{setting.label}: must be between {setting.low} and {setting.high}."
            )
        wanted[key] = value
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        row = _row(clinic) or ClinicResponseRules(clinic=clinic)
        before = {key: s.current for key, s in by_key.items()}
        after = {**before, **wanted}
        row.remission_at_or_below = {
            code: after[f"remission.{code}"]
            for code in REMISSION_SCALES
            if after[f"remission.{code}"] != by_key[f"remission.{code}"].default
        }
        partial = after["partial_response_pct"]
        relapse = after["relapse_consecutive"]
        row.partial_response_pct = None if partial == DEFAULTS.partial_response_pct else partial
        row.relapse_consecutive = None if relapse == DEFAULTS.relapse_consecutive else relapse
        lookback = after["baseline_lookback_days"]
        row.baseline_lookback_days = (
            None if lookback == DEFAULTS.baseline_lookback_days else lookback
        )
        try:
            rules_from(row)  # ResponseRules checks the thresholds are in order
        except ValueError as exc:
            raise ActionError("partial_response_pct", str(exc)) from None
        row.reason = reason
        row.updated_by_id = actor.user_id
        row.updated_at = timezone.now()
        row.save()
        record(
            actor,
            "measures.response_rules.changed",
            object_type="clinic",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            detail={
                "changes": {k: [before[k], after[k]] for k in after if before[k] != after[k]},
                "reason": reason[:500],
            },
        )
    return row
