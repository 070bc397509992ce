"""May the patient leave the chair? Every unmet criterion is listed.

Sources: shared/reference/clinical.md §6c (esketamine: not before 2 h from the first device
AND clinically stable AND sedation/dissociation/respiratory depression resolved AND BP at a safe,
stable level [LABEL/REMS] S2, S4, S6; leaves with arranged transport), §11 (racemic ketamine:
procedural-sedation discharge model — vitals back to baseline, alert and oriented, discharge to a
responsible adult [PRACTICE] P5, P7), §10 (MOAA/S: any drop from pre-dose is sedation;
dissociation resolved). The minimum observation time comes from the protocol's monitoring
profile (esketamine 120 min from the first device; racemic per protocol).

A prescriber may override a refusal with a documented reason; that is the app's business. The
esketamine observation minimum is a label floor and is never waived by an override.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ketacare.clinical.sedation import PRE_DISCHARGE_WINDOW_MIN
from ketacare.clinical.vitals import DEFAULT_LIMITS, VitalLimits, VitalSigns, evaluate_reading

# CADSS-6 at or below this counts as resolved (each item 0-4; a total of 0-1 means at most one
# item rated "slightly"). Not in the reference: a clinic setting [PRACTICE].
DISSOCIATION_RESOLVED_AT_OR_BELOW = 1


@dataclass(frozen=True)
class DischargeInputs:
    now: datetime
    observation_started_at: datetime | None  # first device / dose given / end of infusion
    min_observation_min: int
    esketamine: bool
    latest_vitals: VitalSigns | None
    baseline_vitals: VitalSigns | None
    latest_moaas: int | None
    baseline_moaas: int | None
    latest_cadss6: int | None
    open_alerts: int
    escort_confirmed: bool
    limits: VitalLimits = DEFAULT_LIMITS
    dissociation_resolved_at_or_below: int = DISSOCIATION_RESOLVED_AT_OR_BELOW
    # The pre-dose CADSS-6: back to it also counts as resolved (instruments.md §8: no severity
    # bands exist, "report the raw score and change from pre-dose").
    baseline_cadss6: int | None = None
    # Scored again before discharge (clinical.sedation "pre_discharge" timepoint, §10): False
    # refuses; None when the protocol does not ask for scores (not checked).
    pre_discharge_scored: bool | None = None
    # Minutes on the observation clock when the newest BP was taken (negative: before the clock
    # started). A discharge judges a BP from the pre-discharge window, not the ~40-minute one:
    # BP "then as clinically warranted until values are consistently at a safe level" (§6b
    # [LABEL] S4), "BP at a safe, stable level" to leave (§6c), the REMS form's BP before
    # discharge (§6d); racemic: vitals back to baseline (§11 [PRACTICE] P5). None: not checked.
    latest_bp_observed_min: float | None = None
    # The same for the newest SpO2: "respiratory status including pulse oximetry at each
    # session" (§6b [LABEL] S4, S13), monitoring until respiratory depression has resolved (§6b
    # [REMS] S6); racemic: no extra oxygen need (§11 [PRACTICE] P5). None: not checked.
    latest_spo2_observed_min: float | None = None
    # How long before the minimum observation time a BP, an SpO2 and the scores count as the
    # pre-discharge ones (clinical.md §10 "before discharge" [PRACTICE]; no source gives a
    # number): a clinic setting (`treatments.limits`), 30 min by default.
    pre_discharge_window_min: int = PRE_DISCHARGE_WINDOW_MIN


@dataclass(frozen=True)
class DischargeDecision:
    allowed: bool
    missing: tuple[str, ...]
    minutes_observed: int | None
    # Reasons an override may not waive (the esketamine 2-hour floor).
    not_overridable: tuple[str, ...]


def dissociation_resolved(latest: int, baseline: int | None, resolved_at_or_below: int) -> bool:
    """CADSS-6 (0-24, instruments.md §8) at or below the clinic's threshold, or back to the
    pre-dose score (REMS: monitor until dissociation has resolved, clinical.md §6b [REMS] S6)."""
    return latest <= resolved_at_or_below or (baseline is not None and latest <= baseline)


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def discharge_readiness(inputs: DischargeInputs) -> DischargeDecision:
    missing: list[str] = []
    hard: list[str] = []
    observed = None
    if inputs.observation_started_at is None:
        missing.append("The observation clock has not started (no dose recorded).")
    else:
        observed = minutes_between(inputs.observation_started_at, inputs.now)
        if observed < inputs.min_observation_min:
            left = inputs.min_observation_min - observed
            reason = (
                f"Observed {observed} min of the required {inputs.min_observation_min} min "
                f"({left} min to go)"
                + (
                    " — esketamine: at least 2 hours from the first device "
                    "(clinical.md §6b-c, [LABEL/REMS])."
                    if inputs.esketamine
                    else " (protocol minimum, clinical.md §11)."
                )
            )
            missing.append(reason)
            if inputs.esketamine:
                hard.append(reason)
    if inputs.latest_vitals is None or inputs.latest_vitals.systolic_mmhg is None:
        missing.append("No blood pressure recorded before discharge.")
    elif inputs.latest_bp_observed_min is not None and inputs.observation_started_at is not None:
        opens = max(0, inputs.min_observation_min - inputs.pre_discharge_window_min)
        if inputs.latest_bp_observed_min < opens:
            missing.append(
                f"No blood pressure since {opens} min on the observation clock (the last was at "
                f"{int(inputs.latest_bp_observed_min)} min): take one before discharge "
                "(clinical.md §6b-d, §11)."
            )
    if inputs.latest_vitals is None or inputs.latest_vitals.spo2_pct is None:
        missing.append(
            "No pulse oximetry (SpO2) recorded since dosing: take one before discharge "
            "(clinical.md §6b: respiratory status including pulse oximetry at each session)."
        )
    elif inputs.latest_spo2_observed_min is not None and inputs.observation_started_at is not None:
        opens = max(0, inputs.min_observation_min - inputs.pre_discharge_window_min)
        if inputs.latest_spo2_observed_min < opens:
            missing.append(
                f"No SpO2 since {opens} min on the observation clock (the last was at "
                f"{int(inputs.latest_spo2_observed_min)} min): take one before discharge "
                "(clinical.md §6b-c, §11)."
            )
    if inputs.latest_vitals is not None:
        # Every sign's newest value, not just the newest reading with a BP: a low SpO2 or
        # respiratory rate sent after the last BP must still hold discharge (§6c, §10).
        alerts = evaluate_reading(inputs.latest_vitals, inputs.limits, inputs.baseline_vitals)
        for alert in alerts:
            missing.append(f"Latest vitals not within limits: {alert.message}")
    if inputs.latest_moaas is None:
        missing.append("No sedation score (MOAA/S) recorded before discharge.")
    else:
        target = 5 if inputs.baseline_moaas is None else max(inputs.baseline_moaas, 0)
        target = min(target, 5)
        if inputs.latest_moaas < target:
            missing.append(
                f"Sedation not resolved: MOAA/S {inputs.latest_moaas}, needs {target} "
                "(back to 5 or the pre-dose score; clinical.md §10)."
            )
    if inputs.latest_cadss6 is None:
        missing.append("No dissociation score (CADSS-6) recorded before discharge.")
    elif not dissociation_resolved(
        inputs.latest_cadss6, inputs.baseline_cadss6, inputs.dissociation_resolved_at_or_below
    ):
        back_to = f" or the pre-dose {inputs.baseline_cadss6}" if inputs.baseline_cadss6 else ""
        missing.append(
            f"Dissociation not resolved: CADSS-6 {inputs.latest_cadss6} (resolved at "
            f"≤ {inputs.dissociation_resolved_at_or_below}{back_to}; clinic setting)."
        )
    if inputs.pre_discharge_scored is False:
        missing.append(
            "MOAA/S and CADSS-6 not scored before discharge: score them again now "
            "(clinical.md §10: before dosing, ~40 min and before discharge)."
        )
    if inputs.open_alerts:
        missing.append(f"{inputs.open_alerts} alert(s) not yet acknowledged.")
    if not inputs.escort_confirmed:
        escort = (
            "Escort / safe transport home not confirmed (clinical.md §6c, §11: no driving "
            "until the next day after sleep)."
        )
        missing.append(escort)
        if inputs.esketamine:
            # The label's "leaves with arranged transport" (§6c [LABEL] S2, S4): confirmed by
            # the person who sees it arranged, never waived. Racemic (§11 [PRACTICE] P7): a
            # prescriber's documented override.
            hard.append(escort)
    return DischargeDecision(not missing, tuple(missing), observed, tuple(hard))


DISCHARGE_INSTRUCTIONS = (
    "Do not drive, cycle or operate machinery until the next day after a restful sleep "
    "(clinical.md §6c, [LABEL] S2, S4).",
    "Go home with the responsible adult who collects you; do not travel alone.",
    "Do not make important decisions or sign legal documents for the rest of the day.",
    "Avoid alcohol and sedating medicines for the rest of the day unless your prescriber says "
    "otherwise.",
    "Call the clinic if you feel unwell. Chest pain, a sudden severe headache, trouble breathing, "
    "confusion or a seizure: call the emergency number below. Thoughts of harming yourself: "
    "call a crisis line below.",
)
