"""Vital signs at the chair: what is plausible, what holds a dose, what raises an alert.

Sources: shared/reference/clinical.md §6b (esketamine monitoring [LABEL/REMS]), §7e (IV vitals
[EVIDENCE]), §9 (thresholds: "no single authoritative numeric rule set ... make every number a
clinic setting") and §10 (MOAA/S: any drop from pre-dose = sedation, 0 = loss of consciousness
[LABEL] S3). Every number below is a default in `VitalLimits`, which a clinic overrides; the
comment on each says where it comes from and how firm it is.

    reading = VitalSigns(systolic_mmhg=186, diastolic_mmhg=104, heart_rate_bpm=88, spo2_pct=97)
    problems = implausible(reading)                      # [] or [(field, message), ...]
    hold = pre_dose_hold(reading, VitalLimits())         # Decision: hold or not, and why
    alerts = evaluate_reading(reading, VitalLimits(), baseline=pre_dose_reading)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.sedation import PEAK_MIN, PEAK_WINDOW_MIN


class AlertLevel(StrEnum):
    WARNING = "warning"  # look again soon: repeat in 5 min, consider pausing
    CRITICAL = "critical"  # act now: pause/stop, call the prescriber


@dataclass(frozen=True)
class VitalSigns:
    """One set of readings; any may be missing (None)."""

    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_pct: int | None = None
    resp_rate_per_min: int | None = None
    temperature_c: Decimal | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


# Physiologically possible ranges (not clinical targets): a value outside is a typing or device
# error and is refused, never stored (issue #6 §10: "SpO2 140, BP 20/200 ... are refused").
PLAUSIBLE: dict[str, tuple[Decimal, Decimal, str]] = {
    "systolic_mmhg": (Decimal(50), Decimal(300), "mmHg"),
    "diastolic_mmhg": (Decimal(20), Decimal(200), "mmHg"),
    "heart_rate_bpm": (Decimal(20), Decimal(250), "/min"),
    "spo2_pct": (Decimal(50), Decimal(100), "%"),
    "resp_rate_per_min": (Decimal(3), Decimal(70), "/min"),
    "temperature_c": (Decimal(30), Decimal(44), "°C"),
}


def implausible(reading: VitalSigns) -> list[tuple[str, str]]:
    """(field, message) for every value that cannot be a real measurement."""
    problems = []
    for name, (low, high, unit) in PLAUSIBLE.items():
        value = getattr(reading, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            problems.append((name, f"{value!r} is not a number"))
        elif not low <= value <= high:
            problems.append((name, f"{value} {unit} is outside the possible {low}–{high} {unit}"))
    sbp, dbp = reading.systolic_mmhg, reading.diastolic_mmhg
    if (sbp is None) != (dbp is None):
        missing = "diastolic_mmhg" if dbp is None else "systolic_mmhg"
        problems.append((missing, "blood pressure needs both systolic and diastolic"))
    elif isinstance(sbp, int) and isinstance(dbp, int) and dbp >= sbp:
        problems.append(("diastolic_mmhg", f"diastolic {dbp} is not below systolic {sbp}"))
    return problems


@dataclass(frozen=True)
class VitalLimits:
    """A clinic's thresholds. Comparisons: `*_max` and `*_min` hold/alert when the value is
    strictly beyond; `*_at` alert when the value reaches it."""

    # Pre-dose hold: BP > 140 systolic or > 90 diastolic needs a prescriber's documented
    # decision to proceed. Esketamine: [LABEL] S12, S9 ("prescriber must weigh risk"); IV: one
    # clinic's rule [PRACTICE] P3. The issue makes it the default hold for every route.
    pre_dose_systolic_max: int = 140
    pre_dose_diastolic_max: int = 90
    # During the session, severe hypertension: SBP >= 180 or DBP >= 110. The esketamine label
    # reports these cut-offs (§6b, S3 Table 6); an institution treats > 180/110 [PRACTICE] P2.
    systolic_alert_at: int = 180
    diastolic_alert_at: int = 110
    # > 200/120 once: hypertensive-urgency range, act now ([PRACTICE] P2). The default alerts
    # at 200/120 itself (the cautious side of P2's "above"); a clinic setting.
    systolic_critical_at: int = 200
    diastolic_critical_at: int = 120
    # A rise from the pre-dose reading of >= 40 systolic or >= 25 diastolic: the label's
    # definition of a large rise (§6b, [LABEL] S3).
    systolic_rise_at: int = 40
    diastolic_rise_at: int = 25
    # Sustained HR > 120 triggers treatment at one institution [PRACTICE] P2; HR < 50 is a trial
    # exclusion limit [PRACTICE] P1.
    heart_rate_max: int = 120
    heart_rate_min: int = 50
    # No ketamine source gives an SpO2 number: "pick with medical director (e.g., sustained
    # < 90-92 %)" §9 [UNCONFIRMED]. Below 92 warns; below 88 is critical [UNCONFIRMED].
    spo2_min: int = 92
    spo2_critical_min: int = 88
    # RR < 10 or > 30: trial limits [PRACTICE] P1, used here for respiratory depression.
    resp_rate_min: int = 10
    resp_rate_max: int = 30
    # MOAA/S <= 2 (responds only to shaking or pain): deep sedation; 0 = loss of consciousness
    # (§10, [LABEL] S3). The threshold 2 is the default [PRACTICE].
    moaas_alert_at_or_below: int = 2
    # Out of range → "(1) repeat in 5 min" (§9, suggested behaviour [PRACTICE] P2): how soon an
    # out-of-range value is taken again; the alert's advice and, once acknowledged "repeated the
    # reading", the next vitals due (`repeat_due`).
    repeat_after_min: int = 5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{f.name}: must be a whole number of 0 or more")
        pairs = (
            ("systolic_alert_at", "systolic_critical_at"),
            ("diastolic_alert_at", "diastolic_critical_at"),
            ("spo2_critical_min", "spo2_min"),
            ("heart_rate_min", "heart_rate_max"),
            ("resp_rate_min", "resp_rate_max"),
            ("pre_dose_systolic_max", "systolic_alert_at"),
            ("pre_dose_diastolic_max", "diastolic_alert_at"),
        )
        for low, high in pairs:
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"{low}: must not be above {high}")
        if self.moaas_alert_at_or_below > 5:
            raise ValueError("moaas_alert_at_or_below: MOAA/S runs 0-5")


DEFAULT_LIMITS = VitalLimits()

# What a nurse may record as the action taken on an alert (§9 "suggested behaviour").
ALERT_ACTIONS = (
    # The stored code predates the clinic setting; how soon is the clinic's "repeat_after_min".
    ("repeat_5min", "Repeated the reading"),
    ("pause_infusion", "Paused the infusion"),
    ("notify_prescriber", "Notified the prescriber"),
    ("treat", "Treated (medication given; record it in the session)"),
    ("stop", "Stopped the session"),
    ("none_needed", "Reviewed: no action needed"),
)


@dataclass(frozen=True)
class Alert:
    code: str
    level: AlertLevel
    field: str
    message: str
    source: str


@dataclass(frozen=True)
class Decision:
    """A yes/no with every reason; `ok` False means hold or refuse."""

    ok: bool
    reasons: tuple[str, ...]


def pre_dose_hold(
    reading: VitalSigns, limits: VitalLimits = DEFAULT_LIMITS, moaas: int | None = None
) -> Decision:
    """May dosing start on these pre-dose vitals (and the pre-dose MOAA/S, when scored)
    without a prescriber's decision? The during-session limits for respiration and sedation
    apply before the dose too: a value that would raise an alert after dosing holds it."""
    reasons = []
    if reading.systolic_mmhg is None or reading.diastolic_mmhg is None:
        reasons.append("No pre-dose blood pressure recorded.")
    else:
        sbp, dbp = reading.systolic_mmhg, reading.diastolic_mmhg
        if sbp > limits.pre_dose_systolic_max or dbp > limits.pre_dose_diastolic_max:
            reasons.append(
                f"Pre-dose BP {sbp}/{dbp} is above {limits.pre_dose_systolic_max}/"
                f"{limits.pre_dose_diastolic_max}: a prescriber must weigh the risk and document "
                "the decision to proceed (clinical.md §9, [LABEL] S12 for esketamine)."
            )
    if reading.spo2_pct is None:
        reasons.append("No pre-dose pulse oximetry recorded (clinical.md §6a, [LABEL/REMS]).")
    elif reading.spo2_pct < limits.spo2_min:
        reasons.append(
            f"Pre-dose SpO2 {reading.spo2_pct} % is below {limits.spo2_min} % (clinical.md §9)."
        )
    if reading.heart_rate_bpm is not None and not (
        limits.heart_rate_min <= reading.heart_rate_bpm <= limits.heart_rate_max
    ):
        reasons.append(
            f"Pre-dose heart rate {reading.heart_rate_bpm}/min is outside "
            f"{limits.heart_rate_min}–{limits.heart_rate_max} (clinical.md §9, [PRACTICE] P1)."
        )
    rr = reading.resp_rate_per_min
    if rr is not None and not limits.resp_rate_min <= rr <= limits.resp_rate_max:
        reasons.append(
            f"Pre-dose respiratory rate {rr}/min is outside {limits.resp_rate_min}–"
            f"{limits.resp_rate_max} (clinical.md §9, [PRACTICE] P1)."
        )
    if moaas is not None and moaas <= limits.moaas_alert_at_or_below:
        reasons.append(
            f"Pre-dose MOAA/S {moaas}: already sedated to the clinic's alert level "
            f"(≤ {limits.moaas_alert_at_or_below}) before any dose (clinical.md §10, [LABEL] S3)."
        )
    return Decision(not reasons, tuple(reasons))


def _bp_over(sbp: int, dbp: int, systolic_at: int, diastolic_at: int) -> str:
    """Which number crossed its limit, so "BP 176/112" does not read as above 180."""
    high_s, high_d = sbp >= systolic_at, dbp >= diastolic_at
    if high_s and high_d:
        return f"systolic and diastolic at or above {systolic_at}/{diastolic_at}"
    if high_s:
        return f"systolic {sbp} at or above {systolic_at}"
    return f"diastolic {dbp} at or above {diastolic_at}"


def evaluate_reading(
    reading: VitalSigns,
    limits: VitalLimits = DEFAULT_LIMITS,
    baseline: VitalSigns | None = None,
) -> tuple[Alert, ...]:
    """Alerts a reading taken during or after dosing raises (none when all is in range)."""
    alerts: list[Alert] = []
    sbp, dbp = reading.systolic_mmhg, reading.diastolic_mmhg
    if sbp is not None and dbp is not None:
        if sbp >= limits.systolic_critical_at or dbp >= limits.diastolic_critical_at:
            alerts.append(
                Alert(
                    "bp_critical",
                    AlertLevel.CRITICAL,
                    "systolic_mmhg",
                    f"BP {sbp}/{dbp}: "
                    + _bp_over(sbp, dbp, limits.systolic_critical_at, limits.diastolic_critical_at)
                    + ": pause dosing, call the prescriber, check "
                    "for chest pain, headache, visual change or confusion.",
                    "clinical.md §9 [PRACTICE] P2",
                )
            )
        elif sbp >= limits.systolic_alert_at or dbp >= limits.diastolic_alert_at:
            alerts.append(
                Alert(
                    "bp_high",
                    AlertLevel.WARNING,
                    "systolic_mmhg",
                    f"BP {sbp}/{dbp}: "
                    + _bp_over(sbp, dbp, limits.systolic_alert_at, limits.diastolic_alert_at)
                    + f": repeat in {limits.repeat_after_min} minutes; pause and notify the "
                    "prescriber if it persists.",
                    "clinical.md §6b [LABEL] S3, §9 [PRACTICE] P2",
                )
            )
        if baseline is not None and baseline.systolic_mmhg is not None:
            rise_s = sbp - baseline.systolic_mmhg
            rise_d = dbp - baseline.diastolic_mmhg if baseline.diastolic_mmhg is not None else 0
            if rise_s >= limits.systolic_rise_at or rise_d >= limits.diastolic_rise_at:
                alerts.append(
                    Alert(
                        "bp_rise",
                        AlertLevel.WARNING,
                        "systolic_mmhg",
                        f"BP rose {rise_s:+d}/{rise_d:+d} mmHg from the pre-dose "
                        f"{baseline.systolic_mmhg}/{baseline.diastolic_mmhg} (limit "
                        f"+{limits.systolic_rise_at}/+{limits.diastolic_rise_at}).",
                        "clinical.md §6b [LABEL] S3",
                    )
                )
    hr = reading.heart_rate_bpm
    if hr is not None and (hr > limits.heart_rate_max or hr < limits.heart_rate_min):
        alerts.append(
            Alert(
                "hr_out_of_range",
                AlertLevel.WARNING,
                "heart_rate_bpm",
                f"Heart rate {hr}/min is outside {limits.heart_rate_min}–"
                f"{limits.heart_rate_max}: repeat; notify the prescriber if sustained 5 minutes.",
                "clinical.md §9 [PRACTICE] P1, P2",
            )
        )
    spo2 = reading.spo2_pct
    if spo2 is not None and spo2 < limits.spo2_min:
        critical = spo2 < limits.spo2_critical_min
        alerts.append(
            Alert(
                "spo2_low",
                AlertLevel.CRITICAL if critical else AlertLevel.WARNING,
                "spo2_pct",
                f"SpO2 {spo2} % is below {limits.spo2_min} %: stimulate, check the airway, "
                "give oxygen per protocol"
                + (", call the prescriber now." if critical else "; repeat in 1–2 minutes."),
                "clinical.md §9 [UNCONFIRMED — set with the medical director]",
            )
        )
    rr = reading.resp_rate_per_min
    if rr is not None and (rr < limits.resp_rate_min or rr > limits.resp_rate_max):
        alerts.append(
            Alert(
                "rr_out_of_range",
                AlertLevel.CRITICAL if rr < limits.resp_rate_min else AlertLevel.WARNING,
                "resp_rate_per_min",
                f"Respiratory rate {rr}/min is outside {limits.resp_rate_min}–"
                f"{limits.resp_rate_max}"
                + (": possible respiratory depression." if rr < limits.resp_rate_min else "."),
                "clinical.md §9 [PRACTICE] P1",
            )
        )
    return tuple(alerts)


def evaluate_sedation(
    moaas: int, baseline: int | None = None, limits: VitalLimits = DEFAULT_LIMITS
) -> tuple[Alert, ...]:
    """MOAA/S (0-5): an alert at or below the clinic's threshold, critical at 0."""
    if not 0 <= moaas <= 5:
        raise ValueError("moaas: MOAA/S runs 0-5")
    if moaas == 0:
        return (
            Alert(
                "loss_of_consciousness",
                AlertLevel.CRITICAL,
                "moaas",
                "MOAA/S 0: no response — loss of consciousness. Airway, breathing, call the "
                "prescriber now.",
                "clinical.md §10 [LABEL] S3",
            ),
        )
    if moaas <= limits.moaas_alert_at_or_below:
        drop = f" (pre-dose {baseline})" if baseline is not None else ""
        return (
            Alert(
                "deep_sedation",
                AlertLevel.WARNING,
                "moaas",
                f"MOAA/S {moaas}{drop}: deep sedation; watch airway and SpO2 continuously.",
                "clinical.md §10 [LABEL] S3; threshold [PRACTICE]",
            ),
        )
    return ()


def vitals_overdue(
    last_reading_at: datetime | None,
    since: datetime,
    now: datetime,
    interval_min: int | None,
) -> bool:
    """Has the protocol's vitals interval passed without a reading? `since` is when monitoring
    began (first dose); with no interval (esketamine: "as clinically warranted") never."""
    if interval_min is None:
        return False
    anchor = max(last_reading_at, since) if last_reading_at is not None else since
    return now - anchor > timedelta(minutes=interval_min)


def next_vitals_due(
    last_reading_at: datetime | None, since: datetime, interval_min: int | None
) -> datetime | None:
    if interval_min is None:
        return None
    anchor = max(last_reading_at, since) if last_reading_at is not None else since
    return anchor + timedelta(minutes=interval_min)


# The default repeat time (VitalLimits.repeat_after_min; each clinic sets its own in
# treatments.limits).
REPEAT_AFTER_MIN = VitalLimits.repeat_after_min


def repeat_due(
    alert_value_at: datetime | None, last_bp_at: datetime | None, minutes: int = REPEAT_AFTER_MIN
) -> datetime | None:
    """When the repeat of an out-of-range value, acknowledged with "repeat the reading", is
    due: `minutes` (the clinic's repeat time) after that value, until a blood pressure taken
    after it answers it (None)."""
    if alert_value_at is None:
        return None
    if last_bp_at is not None and last_bp_at > alert_value_at:
        return None
    return alert_value_at + timedelta(minutes=minutes)


# A label-timed BP check ("~40 min after dosing") counts as done by a BP taken from this many
# minutes before it on. Not in any source [PRACTICE]: the default is the start of the 30-60
# min window around the peak that `clinical.sedation` uses for the ~40-minute scores, and each
# clinic can change it (treatments.limits, "bp_check_early_min").
BP_CHECK_EARLY_MIN = PEAK_MIN - PEAK_WINDOW_MIN[0]


def bp_check_due(
    since: datetime,
    check_times_min: tuple[int, ...],
    last_bp_at: datetime | None,
    early_min: int = BP_CHECK_EARLY_MIN,
) -> datetime | None:
    """When the first post-dose blood-pressure check that no BP has answered yet falls due;
    None when every check is answered (or the protocol times none).

    `check_times_min`: the protocol's BP times in minutes from `since` (esketamine: pre-dose
    and ~40 min after the first device, clinical.md §6b [LABEL] S4, S9). Minute 0 is the
    pre-dose BP, a pre-dose check rather than a monitoring timepoint, so it is skipped here.
    `last_bp_at`: the newest BP taken after dosing; since checks are in increasing order, a
    check is answered when that BP is no earlier than `early_min` before it.
    """
    for minute in check_times_min:
        if minute <= 0:
            continue
        at = since + timedelta(minutes=minute)
        if last_bp_at is None or last_bp_at < at - timedelta(minutes=early_min):
            return at
    return None
