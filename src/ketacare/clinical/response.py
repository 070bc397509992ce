"""Course of treatment against baseline: improvement, response, remission and relapse.

Pure functions over totals from the scale library; the rules are a frozen `ResponseRules`
whose defaults cite shared/reference/clinical.md §12 (and §7c for the early-improvement and
partial-response figures). Every threshold is overridable per clinic or programme, e.g.
`dataclasses.replace(ResponseRules(), remission_at_or_below={"madrs": 12})`; the rules used are
returned with the result so the definition can be stored alongside it (§12: "pick one per
programme and store the definition with the result").

Percent change is (score - baseline) / baseline x 100, so a fall in symptoms is negative; the
thresholds are stated as reductions ("response = a fall of at least 50%"). Classification is
by magnitude only: *when* the change happened (e.g. "24 h after infusion 4", §7c) is for the
caller to decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from ketacare.clinical.scales import ScaleInputError, get_scale


class CourseStatus(StrEnum):
    UNDETERMINED = "undetermined"
    WORSENING = "worsening"
    NO_IMPROVEMENT = "no_improvement"
    EARLY_IMPROVEMENT = "early_improvement"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    REMISSION = "remission"
    RELAPSE = "relapse"
    # A scale with no response definition in the reference: the change is shown, not named.
    NOT_CLASSIFIED = "not_classified"


# The scales clinical.md §12 defines response and remission on: "≥50% reduction from baseline
# on the primary scale (MADRS, HAM-D, QIDS-SR16, PHQ-9)" (HAM-D is not given in this app). On
# any other scale a course is not called a response: PTSD response is defined on the
# clinician-rated CAPS-5 (≥30 %, S41), not the PCL-5; the pain definition is unconfirmed; GAD-7
# and ISI have none. There the change from baseline is reported, and a rise is still "worse".
RESPONSE_SCALES = frozenset({"phq9", "madrs", "qids_sr16"})


def _default_remission() -> Mapping[str, int]:
    return MappingProxyType(
        {
            # PHQ-9 < 5, i.e. <= 4 (SUSTAIN-3; clinical.md §12).
            "phq9": 4,
            # MADRS <= 10 (ESCAPE-TRD, KetECT; clinical.md §12). Esketamine TRANSFORM/SUSTAIN
            # programmes use <= 12 (clinical.md §12; instruments.md §6): override per programme.
            "madrs": 10,
            # QIDS-SR16 <= 5 (STAR*D convention; clinical.md §12 [UNCONFIRMED], instruments.md §7).
            "qids_sr16": 5,
        }
    )


# Where each clinic-configurable default comes from, in words for the page that changes them.
DEFAULT_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "remission.phq9": "PHQ-9 < 5, i.e. ≤ 4 (SUSTAIN-3; clinical.md §12)",
        "remission.madrs": "MADRS ≤ 10 (ESCAPE-TRD, KetECT; clinical.md §12); esketamine "
        "TRANSFORM/SUSTAIN programmes use ≤ 12",
        "remission.qids_sr16": "QIDS-SR16 ≤ 5 (STAR*D convention; clinical.md §12, marked "
        "unconfirmed)",
        "partial_response_pct": "a fall of ≥ 30 % (S33; clinical.md §7c, §12); the other "
        "reading is 25–49 % (EU-PEARL), i.e. 25",
        "baseline_lookback_days": "28 days ([PRACTICE]: trial screening-to-first-dose windows "
        "run up to 4 weeks; clinical.md §2b and §12 give no window). Range 7–42: the shortest "
        "recall window of a course scale (QIDS-SR16, MADRS: a week; instruments.md §6, §7) to "
        "the longest adequate antidepressant trial (6 weeks; clinical.md §2a)",
        "relapse_consecutive": "1 assessment that loses response ([PRACTICE], this platform's "
        "rule: the reference gives no definition); 2 asks for confirmation at a second visit",
    }
)


@dataclass(frozen=True)
class ResponseRules:
    """Thresholds for classifying a course. Percentages are reductions from baseline."""

    # Early improvement: a fall of >= 20% (S33; clinical.md §7c and §12).
    early_improvement_pct: float = 20
    # Partial response: >= 30% (S33; clinical.md §7c, §12). The alternative reading is a band
    # of 25-49% (implied by EU-PEARL's < 25% = failed treatment; clinical.md §12): set 25.
    partial_response_pct: float = 30
    # Response: >= 50% (clinical.md §12, standard across MADRS, HAM-D, QIDS-SR16, PHQ-9).
    response_pct: float = 50
    # Remission: total at or below this value, per scale code (clinical.md §12). Scales not
    # listed have no remission definition and are classified by percent change only. A
    # mapping passed in replaces the defaults entirely (list every scale the programme uses).
    remission_at_or_below: Mapping[str, int] = field(default_factory=_default_remission)
    # Relapse [PRACTICE, configurable; shared/reference gives no definition]: once a response
    # (or remission) has been reached, relapse is declared when the fall from baseline drops
    # below this percentage - by default the response threshold, i.e. response is lost and
    # the score is back above half the baseline - and the score is not in remission.
    relapse_below_pct: float = 50
    # Number of consecutive such assessments needed; 2 asks for confirmation at a second visit.
    relapse_consecutive: int = 1
    # Which scores without an episode count for it: those up to this many days before the
    # episode starts (the intake baseline taken before anyone opened the episode). Screening-
    # to-first-dose windows in ketamine and esketamine trials run up to 4 weeks; clinical.md
    # §2b/§12 list a baseline before the first dose without a window: [PRACTICE], a setting.
    baseline_lookback_days: int = 28
    # Who set these rules when they are not the defaults above (e.g. "Alpha Clinic's setting
    # of 2026-03-01: esketamine programme"); added to the reasons so the definition travels
    # with the result (clinical.md §12).
    source: str = ""

    def __post_init__(self) -> None:
        steps = (self.early_improvement_pct, self.partial_response_pct, self.response_pct)
        if not 0 < steps[0] <= steps[1] <= steps[2] <= 100:
            raise ValueError("need 0 < early improvement <= partial response <= response <= 100")
        if not 0 < self.relapse_below_pct <= self.response_pct:
            raise ValueError("relapse_below_pct must be above 0 and at most response_pct")
        if self.relapse_consecutive < 1:
            raise ValueError("relapse_consecutive must be at least 1")
        if self.baseline_lookback_days < 0:
            raise ValueError("baseline_lookback_days must not be negative")


Event = tuple[date, CourseStatus]


@dataclass(frozen=True)
class CourseResult:
    """Status at the latest assessment, its percent change, why, and the status at each one."""

    status: CourseStatus
    percent_change: float | None
    reasons: tuple[str, ...]
    events: tuple[Event, ...]
    rules: ResponseRules


def _pct(value: float) -> Fraction:
    return Fraction(value) / 100


def _check_total(scale_code: str, name: str, value: object) -> int:
    scale = get_scale(scale_code)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScaleInputError(name, f"expected an integer total, got {type(value).__name__}")
    low, high = scale.min_total, scale.max_total
    if low is None or high is None:
        raise ScaleInputError("scale_code", f"{scale_code} has no total to follow over time")
    if not low <= value <= high:
        raise ScaleInputError(name, f"{value} is outside the {scale_code} range {low}-{high}")
    return value


def _single_status(
    scale_code: str, baseline: int, total: int, rules: ResponseRules
) -> tuple[CourseStatus, str]:
    """Status of one assessment on its own (without relapse history) and the reason."""
    fall = Fraction(baseline - total, baseline)
    change = f"{total} vs baseline {baseline} ({_fmt(-fall)})"
    if scale_code not in RESPONSE_SCALES:
        if total > baseline:
            return CourseStatus.WORSENING, f"{change}: worse than baseline"
        return (
            CourseStatus.NOT_CLASSIFIED,
            f"{change}: no response definition on this scale (clinical.md §12)",
        )
    remission_max = rules.remission_at_or_below.get(scale_code)
    if remission_max is not None and total <= remission_max:
        return CourseStatus.REMISSION, f"{change}: at or below remission {remission_max}"
    for status, threshold in (
        (CourseStatus.RESPONSE, rules.response_pct),
        (CourseStatus.PARTIAL_RESPONSE, rules.partial_response_pct),
        (CourseStatus.EARLY_IMPROVEMENT, rules.early_improvement_pct),
    ):
        if fall >= _pct(threshold):
            return status, f"{change}: a fall of at least {threshold:g}%"
    if total > baseline:
        return CourseStatus.WORSENING, f"{change}: worse than baseline"
    return (
        CourseStatus.NO_IMPROVEMENT,
        f"{change}: below the {rules.early_improvement_pct:g}% early-improvement threshold",
    )


def _fmt(fraction: Fraction) -> str:
    return f"{float(fraction * 100):+.1f}%"


def _sorted(scores: Sequence[tuple[date, int]]) -> list[tuple[date, int]]:
    try:
        return sorted(scores, key=lambda pair: pair[0])
    except TypeError as exc:
        raise ScaleInputError(
            "scores", "dates cannot be ordered (mixed date/datetime or naive/aware)"
        ) from exc


def classify_course(
    scale_code: str,
    baseline: int,
    scores: Sequence[tuple[date, int]],
    rules: ResponseRules | None = None,
) -> CourseResult:
    """Classify each follow-up total against `baseline`; the latest decides `status`.

    `scores` are (when, total) pairs in any order (date or datetime, not mixed). Bad totals
    raise ScaleInputError naming "baseline" or "scores[i]".
    """
    rules = rules or ResponseRules()
    _check_total(scale_code, "baseline", baseline)
    checked = [
        (when, _check_total(scale_code, f"scores[{i}]", t)) for i, (when, t) in enumerate(scores)
    ]
    if baseline == 0:
        return CourseResult(
            CourseStatus.UNDETERMINED,
            None,
            (
                "Baseline total is 0: percent change from baseline is undefined, so improvement, "
                "response and relapse cannot be classified.",
            ),
            (),
            rules,
        )
    if not checked:
        return CourseResult(
            CourseStatus.UNDETERMINED, None, ("No follow-up scores yet.",), (), rules
        )

    events: list[Event] = []
    responded_on: date | None = None
    relapsed = False
    misses = 0  # consecutive post-response assessments below the relapse threshold
    reason = ""
    ordered = _sorted(checked)
    for when, total in ordered:
        status, reason = _single_status(scale_code, baseline, total, rules)
        if status in (CourseStatus.RESPONSE, CourseStatus.REMISSION):
            if responded_on is None or relapsed:
                responded_on = when  # first response, or response regained after relapse
            relapsed, misses = False, 0
        elif responded_on is not None:
            fall = Fraction(baseline - total, baseline)
            misses = misses + 1 if fall < _pct(rules.relapse_below_pct) else 0
            if relapsed or misses >= rules.relapse_consecutive:
                relapsed = True
                status = CourseStatus.RELAPSE
                reason += (
                    f"; after response on {responded_on.isoformat()}, the fall from baseline "
                    f"is below {rules.relapse_below_pct:g}% "
                    f"(relapse after {rules.relapse_consecutive} such assessment(s), [PRACTICE])"
                )
        events.append((when, status))

    latest_total = ordered[-1][1]
    change = Fraction(latest_total - baseline, baseline)
    reasons = [f"Latest: {reason}."]
    remission_max = rules.remission_at_or_below.get(scale_code)
    if scale_code not in RESPONSE_SCALES:
        reasons.append(
            "Response and remission are defined on depression scales only (MADRS, HAM-D, "
            f"QIDS-SR16, PHQ-9; clinical.md §12): on {scale_code} the change from baseline is "
            "shown, not classified."
        )
        return CourseResult(
            status=events[-1][1],
            percent_change=round(float(change * 100), 1),
            reasons=tuple(reasons),
            events=tuple(events),
            rules=rules,
        )
    if remission_max is None:
        reasons.append(f"No remission threshold is set for {scale_code}.")
    elif baseline <= remission_max:
        reasons.append(
            f"Baseline {baseline} is already within remission (≤{remission_max}); "
            "remission here says little."
        )
    reasons.append(
        f"Rules: early improvement ≥{rules.early_improvement_pct:g}%, partial response "
        f"≥{rules.partial_response_pct:g}%, response ≥{rules.response_pct:g}% fall "
        "(clinical.md §7c, §12)"
        + (f"; remission ≤{remission_max} (clinical.md §12)." if remission_max is not None else ".")
        + (f" Set by {rules.source}." if rules.source else "")
    )
    return CourseResult(
        status=events[-1][1],
        percent_change=round(float(change * 100), 1),
        reasons=tuple(reasons),
        events=tuple(events),
        rules=rules,
    )
