"""A clinic's scoring thresholds: the library defaults plus the clinic's changes.

    t = scoring_thresholds_for(patient.clinic_id)      # a clinical.thresholds.ScoringThresholds
    scale.score(answers, **score_params(code, t)); decide_flag(code, answers, level, t.risk)
    do_set_scoring_thresholds(actor, clinic, {"pcl5_cutoff": 31}, reason="veterans programme")

Everything that scores or flags (saving an assessment, the live preview, self-report drafts and
submissions, the FHIR QuestionnaireResponse intake, which all go through `measures.actions`) and
the trajectories' band shading read `scoring_thresholds_for(patient.clinic_id)`, so one clinic's
change applies everywhere at once and no other clinic's. Stored assessments keep the band,
flags and explanation they were scored with: a change applies to new scores only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm, actor_may
from ketacare.clinical import thresholds
from ketacare.clinical.thresholds import SPECS, ScoringThresholds, Spec
from ketacare.measures.models import ClinicScoringThresholds

# Model columns that hold one `Spec.key` each; the flag levels live in `risk_levels`.
COLUMNS = (
    "pcl5_cutoff",
    "gad7_cutoff",
    "madrs_mild_from",
    "madrs_moderate_from",
    "madrs_severe_from",
    "pain_nrs_bands",
)


@dataclass(frozen=True)
class ThresholdSetting:
    """One configurable threshold as the settings page shows it."""

    spec: Spec
    current: int | str

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def changed(self) -> bool:
        return self.current != self.spec.default

    @property
    def allowed(self) -> str:
        if self.spec.choices:
            return " / ".join(code for code, _ in self.spec.choices)
        return f"{self.spec.low}–{self.spec.high}"


def _row(clinic: Clinic | int) -> ClinicScoringThresholds | None:
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return ClinicScoringThresholds.objects.filter(clinic_id=clinic_id).first()


def _overrides(row: ClinicScoringThresholds) -> dict[str, int | str]:
    found: dict[str, int | str] = {}
    for column in COLUMNS:
        value = getattr(row, column)
        if value not in (None, ""):
            found[column] = value
    found.update({str(k): str(v) for k, v in (row.risk_levels or {}).items()})
    return found


def thresholds_from(row: ClinicScoringThresholds | None) -> ScoringThresholds:
    if row is None:
        return thresholds.DEFAULTS
    overrides = _overrides(row)
    if not overrides:
        return thresholds.DEFAULTS
    when = timezone.localtime(row.updated_at)
    return thresholds.thresholds_from(overrides, source=f"this clinic's setting of {when:%Y-%m-%d}")


def scoring_thresholds_for(clinic: Clinic | int) -> ScoringThresholds:
    """The thresholds new scores of this clinic's patients use. One query."""
    return thresholds_from(_row(clinic))


def settings_for(clinic: Clinic | int) -> list[ThresholdSetting]:
    current = thresholds.values_of(scoring_thresholds_for(clinic))
    return [ThresholdSetting(spec, current[spec.key]) for spec in SPECS]


def do_set_scoring_thresholds(
    actor: Actor, clinic: Clinic, values: Mapping[str, int | str], reason: str
) -> ClinicScoringThresholds:
    """Set the clinic's thresholds. `values` maps `Spec.key` to a value (missing keys keep the
    current value); a value equal to the library default stores no override. Refused (nothing
    saved) unless the actor is this clinic's admin or director and every value passes
    `clinical.thresholds.check_values`, including the risk-flag floor."""
    if not actor_may(actor, clinic.pk, Perm.SCORING_THRESHOLDS):
        raise ActionError("permission", "Only the clinic's admin or director sets thresholds.")
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason", "Say why the thresholds change (e.g. the population).")
    if len(reason) > 2000:
        raise ActionError("reason", "Keep the reason to at most 2000 characters.")
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        before = thresholds.values_of(scoring_thresholds_for(clinic))
        after = {**before, **values}
        problems = thresholds.check_values(after)
        if problems:
            key, reasons = next(iter(problems.items()))
            raise ActionError(key, " ".join(reasons))
        row = _row(clinic) or ClinicScoringThresholds(clinic=clinic)
        defaults = {spec.key: spec.default for spec in SPECS}
        after = {k: v for k, v in after.items() if k in defaults}  # answer 3 is always high
        for column in COLUMNS:
            value = after[column]
            empty = "" if column == "pain_nrs_bands" else None
            setattr(row, column, empty if value == defaults[column] else value)
        row.risk_levels = {
            key: value
            for key, value in after.items()
            if key not in COLUMNS and value != defaults.get(key)
        }
        row.reason = reason
        row.updated_by_id = actor.user_id
        row.updated_at = timezone.now()
        row.save()
        record(
            actor,
            "measures.scoring_thresholds.changed",
            object_type="clinic",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            detail={
                "changes": {k: [before[k], after[k]] for k in after if before.get(k) != after[k]},
                "reason": reason[:500],
            },
        )
    return row
