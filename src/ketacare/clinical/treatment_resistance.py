"""Treatment resistance from prior antidepressant trials: which trials are adequate failures
in the current episode, and whether they meet the TRD definition.

Source: shared/reference/clinical.md §2a. TRD = inadequate response to at least 2 different
antidepressants of adequate dose and duration in the current episode ([LABEL-EU] S9; the US
trial definition); adequate duration 4-6 weeks and non-response = <50% improvement
([GUIDELINE] S26, Depress Anxiety 2021); EU-PEARL uses <25% and says a trial stopped before
week 4 without clear non-response is not a failure ([GUIDELINE] S26).

Every trial gets a verdict with its reason, so the chart can show why a trial did or did not
count. Nothing is guessed: a trial without a recorded duration, dose adequacy or response is
left out, with the reason saying what to record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class ResponseCategory(StrEnum):
    """Response to a trial when no percent improvement was measured (bands: clinical.md §12)."""

    NONE = "none"  # < 25% improvement (EU-PEARL failed treatment, S26)
    PARTIAL = "partial"  # 25-49%
    RESPONSE = "response"  # >= 50%
    REMISSION = "remission"
    UNKNOWN = "unknown"


# Improvement band of each category as (lowest, highest-exclusive) percent; None = open.
_BANDS: dict[ResponseCategory, tuple[float | None, float | None]] = {
    ResponseCategory.NONE: (None, 25),
    ResponseCategory.PARTIAL: (25, 50),
    ResponseCategory.RESPONSE: (50, None),
    ResponseCategory.REMISSION: (50, None),
}


class ReasonStopped(StrEnum):
    """Why the trial ended; recorded for the chart, it does not decide failure on its own."""

    INEFFECTIVE = "ineffective"
    SIDE_EFFECTS = "side_effects"
    PATIENT_CHOICE = "patient_choice"
    COST_OR_ACCESS = "cost_or_access"
    STILL_TAKING = "still_taking"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AntidepressantTrial:
    """One prior antidepressant trial as recorded at evaluation (clinical.md §2a "store...").

    `improvement_pct` is the fall in symptoms at the end of the trial (50 = halved; negative =
    worse). When it was not measured, `response` gives the band. `dose_adequate` is the
    prescriber's judgement: shared/reference has no minimum-dose table.
    """

    drug: str
    in_current_episode: bool
    weeks_at_dose: float | None = None
    dose_mg: float | None = None
    dose_adequate: bool | None = None
    improvement_pct: float | None = None
    response: ResponseCategory = ResponseCategory.UNKNOWN
    reason_stopped: ReasonStopped = ReasonStopped.UNKNOWN

    def __post_init__(self) -> None:
        if not self.drug.strip():
            raise ValueError("drug: name is required")
        for name in ("weeks_at_dose", "dose_mg"):
            value = getattr(self, name)
            if value is not None and (_not_number(value) or value < 0):
                raise ValueError(f"{name}: expected a number of at least 0, got {value!r}")
        pct = self.improvement_pct
        if pct is not None and (_not_number(pct) or pct > 100):
            raise ValueError(f"improvement_pct: expected a number up to 100, got {pct!r}")


def _not_number(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float)


@dataclass(frozen=True)
class TrdRules:
    # At least 2 different antidepressants failed in the current episode
    # ([LABEL-EU] S9; US trial definition, clinical.md §2a).
    min_failed_trials: int = 2
    # Adequate duration: 4-6 weeks at adequate dose ([GUIDELINE] S26); EU-PEARL: a trial
    # stopped before week 4 is not a failure (S26). 6 is the stricter end of the range.
    min_weeks_at_dose: float = 4
    # Non-response = improvement below 50% ([GUIDELINE] S26, Depress Anxiety 2021 table).
    # EU-PEARL's regulatory-trial definition uses below 25% (S26): set 25.
    non_response_below_pct: float = 50
    # "Different antidepressants" (§2a): a second failed trial of the same drug counts once.
    distinct_drugs: bool = True
    # Adequate dose is part of the definition (§2a) but no dose table is in shared/reference,
    # so the prescriber attests it per trial. [PRACTICE]: True counts trials left unattested.
    count_unattested_dose: bool = False

    def __post_init__(self) -> None:
        if self.min_failed_trials < 1:
            raise ValueError("min_failed_trials must be at least 1")
        if self.min_weeks_at_dose <= 0:
            raise ValueError("min_weeks_at_dose must be above 0")
        if not 0 < self.non_response_below_pct <= 100:
            raise ValueError("non_response_below_pct must be above 0 and at most 100")


DEFAULT_TRD_RULES = TrdRules()


@dataclass(frozen=True)
class TrialVerdict:
    trial: AntidepressantTrial
    counts: bool
    reason: str


@dataclass(frozen=True)
class TrdAssessment:
    """How many adequate failed trials the current episode has, and why each trial counted."""

    count: int
    meets_definition: bool
    verdicts: tuple[TrialVerdict, ...]
    reasons: tuple[str, ...]
    rules: TrdRules

    @property
    def failed_trials(self) -> tuple[AntidepressantTrial, ...]:
        return tuple(v.trial for v in self.verdicts if v.counts)

    @property
    def excluded(self) -> tuple[TrialVerdict, ...]:
        return tuple(v for v in self.verdicts if not v.counts)


def _drug_key(drug: str) -> str:
    return " ".join(drug.lower().split())


def _response_verdict(trial: AntidepressantTrial, rules: TrdRules) -> tuple[bool | None, str]:
    """(failed?, why); None when the response cannot be placed against the threshold."""
    threshold = rules.non_response_below_pct
    if trial.improvement_pct is not None:
        pct = trial.improvement_pct
        if pct < threshold:
            return True, f"improved {pct:g}%, below the {threshold:g}% non-response threshold"
        return False, f"improved {pct:g}% (at least {threshold:g}%): a response, not a failure"
    band = _BANDS.get(trial.response)
    if band is None:
        return None, "response not recorded (give the percent improvement or a response band)"
    low, high = band
    name = trial.response.value
    if high is not None and high <= threshold:
        return True, f"response '{name}' (below {high:g}%) is under the {threshold:g}% threshold"
    if low is not None and low >= threshold:
        return False, f"response '{name}' (at least {low:g}%): not a failure"
    span = f"{low or 0:g}-{high:g}%" if high is not None else f"at least {low:g}%"
    return None, (
        f"response '{name}' ({span}) cannot be placed against the "
        f"{threshold:g}% threshold; record the percent improvement"
    )


def judge_trial(trial: AntidepressantTrial, rules: TrdRules = DEFAULT_TRD_RULES) -> TrialVerdict:
    """Whether one trial is an adequate failure in the current episode (ignoring duplicates)."""
    label = f"{trial.drug}:"
    if not trial.in_current_episode:
        return TrialVerdict(trial, False, f"{label} not in the current episode (§2a)")
    if trial.weeks_at_dose is None:
        return TrialVerdict(trial, False, f"{label} weeks at dose not recorded")
    if trial.weeks_at_dose < rules.min_weeks_at_dose:
        return TrialVerdict(
            trial,
            False,
            f"{label} {trial.weeks_at_dose:g} weeks at dose, under the "
            f"{rules.min_weeks_at_dose:g} weeks of an adequate trial; not a failure "
            "(EU-PEARL, S26)",
        )
    if trial.dose_adequate is False:
        return TrialVerdict(trial, False, f"{label} dose judged not adequate")
    if trial.dose_adequate is None and not rules.count_unattested_dose:
        return TrialVerdict(trial, False, f"{label} dose adequacy not attested by the prescriber")
    failed, why = _response_verdict(trial, rules)
    return TrialVerdict(trial, bool(failed), f"{label} {why}")


def assess_trd(
    trials: Iterable[AntidepressantTrial], rules: TrdRules = DEFAULT_TRD_RULES
) -> TrdAssessment:
    """Count adequate failed trials in the current episode and compare with the definition."""
    verdicts: list[TrialVerdict] = []
    seen: set[str] = set()
    for trial in trials:
        verdict = judge_trial(trial, rules)
        key = _drug_key(trial.drug)
        if verdict.counts and rules.distinct_drugs and key in seen:
            verdict = TrialVerdict(
                trial,
                False,
                f"{trial.drug}: same drug as an earlier failed trial; the definition asks for "
                "different antidepressants (§2a)",
            )
        if verdict.counts:
            seen.add(key)
        verdicts.append(verdict)
    count = sum(v.counts for v in verdicts)
    meets = count >= rules.min_failed_trials
    summary = (
        f"{count} adequate failed antidepressant trial(s) in the current episode; the TRD "
        f"definition needs {rules.min_failed_trials} (≥{rules.min_weeks_at_dose:g} weeks at an "
        f"adequate dose, improvement below {rules.non_response_below_pct:g}%; clinical.md §2a)."
    )
    return TrdAssessment(
        count=count,
        meets_definition=meets,
        verdicts=tuple(verdicts),
        reasons=(summary, *(v.reason for v in verdicts)),
        rules=rules,
    )


def adequate_failed_trials(
    trials: Iterable[AntidepressantTrial], rules: TrdRules = DEFAULT_TRD_RULES
) -> tuple[AntidepressantTrial, ...]:
    """The trials that count towards treatment resistance."""
    return assess_trd(trials, rules).failed_trials
