"""Reads about a session: its protocol, the current readings, discharge readiness, and what
the chair board shows. No writes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ketacare.clinical.discharge import DischargeDecision, DischargeInputs, discharge_readiness
from ketacare.clinical.protocols import ObservationStart, Protocol
from ketacare.clinical.vitals import (
    VitalLimits,
    VitalSigns,
    bp_check_due,
    next_vitals_due,
    repeat_due,
)
from ketacare.plans.actions import plan_protocol
from ketacare.treatments.limits import ClinicMonitoring, clinic_monitoring, from_dict
from ketacare.treatments.models import ReadingPhase, SessionStatus, TreatmentSession, VitalReading


def session_protocol(session: TreatmentSession) -> Protocol:
    return plan_protocol(session.plan)


def session_monitoring(
    session: TreatmentSession, clinic_current: ClinicMonitoring | None = None
) -> ClinicMonitoring:
    """The limits the session is judged by: those snapshotted at its pre-dose checks, else the
    clinic's current settings (`clinic_current` when the caller already has them)."""
    if session.limits_used:
        return from_dict(session.limits_used)
    return clinic_current or clinic_monitoring(session.clinic_id)


def clinic_limits(session: TreatmentSession) -> VitalLimits:
    return session_monitoring(session).limits


def current_readings(session: TreatmentSession) -> list[VitalReading]:
    """Readings that stand (not superseded by a correction), oldest first."""
    return list(
        session.readings.filter(corrections__isnull=True)
        .select_related("recorded_by")
        .order_by("taken_at", "pk")
    )


def signs(reading: VitalReading | None) -> VitalSigns | None:
    if reading is None:
        return None
    return VitalSigns(
        systolic_mmhg=reading.systolic_mmhg,
        diastolic_mmhg=reading.diastolic_mmhg,
        heart_rate_bpm=reading.heart_rate_bpm,
        spo2_pct=reading.spo2_pct,
        resp_rate_per_min=reading.resp_rate_per_min,
        temperature_c=reading.temperature_c,
    )


def _latest(readings: list[VitalReading], attr: str) -> VitalReading | None:
    found = [r for r in readings if getattr(r, attr) is not None]
    return found[-1] if found else None


# Vital signs judged one by one for discharge: each from the newest reading that has it.
SINGLE_SIGNS = ("heart_rate_bpm", "spo2_pct", "resp_rate_per_min", "temperature_c")


def latest_signs(during: list[VitalReading]) -> VitalSigns | None:
    """The newest value of every vital sign since dosing began, oldest-first `during`.

    A reading need not carry every sign (a monitor sends SpO2 on its own, a nurse may
    recheck only the BP), so the newest reading with a BP is not the patient's current
    picture: the BP comes from the newest reading with one (systolic and diastolic together),
    every other sign from the newest reading that has it. None when nothing was recorded."""
    bp = _latest(during, "systolic_mmhg")
    values: dict[str, object] = {}
    if bp is not None:
        values.update(systolic_mmhg=bp.systolic_mmhg, diastolic_mmhg=bp.diastolic_mmhg)
    for attr in SINGLE_SIGNS:
        newest = _latest(during, attr)
        if newest is not None:
            values[attr] = getattr(newest, attr)
    return VitalSigns(**values) if values else None  # type: ignore[arg-type]


@dataclass(frozen=True)
class Picture:
    baseline: VitalReading | None
    latest_bp: VitalReading | None
    latest_moaas: int | None
    latest_cadss6: int | None
    latest: VitalReading | None
    # Every sign's newest value (latest_signs): what discharge judges.
    latest_vitals: VitalSigns | None = None
    latest_spo2: VitalReading | None = None


def picture(readings: list[VitalReading]) -> Picture:
    pre = [r for r in readings if r.phase == ReadingPhase.PRE_DOSE]
    during = [r for r in readings if r.phase == ReadingPhase.DURING]
    moaas = _latest(during, "moaas")
    cadss = _latest(during, "cadss6")
    return Picture(
        baseline=pre[-1] if pre else None,
        latest_bp=_latest(during, "systolic_mmhg"),
        latest_moaas=moaas.moaas if moaas else None,
        latest_cadss6=cadss.cadss6 if cadss else None,
        latest=readings[-1] if readings else None,
        latest_vitals=latest_signs(during),
        latest_spo2=_latest(during, "spo2_pct"),
    )


def readiness(
    session: TreatmentSession,
    now: datetime,
    *,
    escort: bool | None = None,
    readings: list[VitalReading] | None = None,
    monitoring: ClinicMonitoring | None = None,
) -> DischargeDecision:
    from ketacare.clinical.sedation import Status
    from ketacare.treatments.sedation import sedation_timepoints

    protocol = session_protocol(session)
    monitoring = monitoring or session_monitoring(session)
    readings = readings if readings is not None else current_readings(session)
    pic = picture(readings)
    points = {
        t.code: t
        for t in sedation_timepoints(
            session, protocol, readings, now, monitoring.pre_discharge_window_min
        )
    }
    end = points.get("pre_discharge")
    return discharge_readiness(
        DischargeInputs(
            now=now,
            observation_started_at=session.observation_started_at,
            min_observation_min=protocol.monitoring.min_observation_min,
            esketamine=session.is_esketamine,
            latest_vitals=pic.latest_vitals,
            baseline_vitals=signs(pic.baseline),
            latest_moaas=pic.latest_moaas,
            baseline_moaas=pic.baseline.moaas if pic.baseline else None,
            latest_cadss6=pic.latest_cadss6,
            open_alerts=session.alerts.filter(acknowledged_at__isnull=True).count(),
            escort_confirmed=session.escort_confirmed if escort is None else escort,
            limits=monitoring.limits,
            dissociation_resolved_at_or_below=monitoring.dissociation_resolved_at_or_below,
            baseline_cadss6=pic.baseline.cadss6 if pic.baseline else None,
            pre_discharge_scored=None if end is None else end.status == Status.DONE,
            pre_discharge_window_min=monitoring.pre_discharge_window_min,
            latest_bp_observed_min=(
                (pic.latest_bp.taken_at - session.observation_started_at).total_seconds() / 60
                if pic.latest_bp is not None and session.observation_started_at is not None
                else None
            ),
            latest_spo2_observed_min=(
                (pic.latest_spo2.taken_at - session.observation_started_at).total_seconds() / 60
                if pic.latest_spo2 is not None and session.observation_started_at is not None
                else None
            ),
        )
    )


def vitals_interval(
    session: TreatmentSession, protocol: Protocol, clinic_max: int | None = None
) -> int | None:
    """The protocol's interval for the session's phase, capped by the clinic's longest gap
    (`ClinicMonitoring.vitals_interval_min`); None when neither sets one."""
    m = protocol.monitoring
    if session.status == SessionStatus.DOSING:
        interval = m.vitals_interval_during_min
    else:
        interval = m.vitals_interval_after_min or m.vitals_interval_during_min
    candidates = [i for i in (interval, clinic_max) if i is not None]
    return min(candidates) if candidates else None


def next_due(
    session: TreatmentSession,
    protocol: Protocol,
    last: VitalReading | None,
    monitoring: ClinicMonitoring | None = None,
    last_bp: VitalReading | None = None,
    repeat_from: datetime | None = None,
) -> datetime | None:
    """The next vitals due: the interval after `last_bp` (the newest BP after dosing), or a
    label-timed BP check (esketamine ~40 min) not yet answered by it, or the repeat of an alert
    acknowledged "repeated the reading" (`repeat_from`: its value's time, see `repeat_asked`;
    due the clinic's `repeat_after_min` after it) not yet answered by a BP, whichever is
    earliest.

    The interval times the blood pressure (IV: "BP every 10 min during the infusion and every
    15 min after", clinical.md §7e [EVIDENCE] S37): a SpO2 streamed alone by a monitor, or a
    score typed alone, does not answer it. `last` is kept for callers; it no longer counts."""
    since = session.observation_started_at or session.dosing_started_at
    if since is None:
        return None
    monitoring = monitoring or session_monitoring(session)
    interval_due = next_vitals_due(
        last_bp.taken_at if last_bp else None,
        since,
        vitals_interval(session, protocol, monitoring.vitals_interval_min),
    )
    check_due = bp_check_due(
        since,
        protocol.monitoring.bp_check_times_min,
        last_bp.taken_at if last_bp else None,
        monitoring.bp_check_early_min,
    )
    again = repeat_due(
        repeat_from, last_bp.taken_at if last_bp else None, monitoring.limits.repeat_after_min
    )
    return min((d for d in (interval_due, check_due, again) if d is not None), default=None)


def repeat_asked(session_ids: list[int]) -> dict[int, datetime]:
    """Per session, the time of the newest value whose alert was acknowledged "repeated the
    reading" (one query for the board)."""
    from django.db.models import Max
    from django.db.models.functions import Coalesce

    from ketacare.treatments.models import AlertAction, SessionAlert

    rows = (
        SessionAlert.objects.filter(
            session_id__in=session_ids,
            action=AlertAction.REPEAT_5MIN,
            acknowledged_at__isnull=False,
        )
        .values("session_id")
        .annotate(at=Max(Coalesce("last_value_at", "raised_at")))
    )
    return {row["session_id"]: row["at"] for row in rows}


def observation_note(protocol: Protocol) -> str:
    return {
        ObservationStart.FIRST_DEVICE: "from the first device",
        ObservationStart.DOSE_GIVEN: "from the dose",
        ObservationStart.END_OF_INFUSION: "from the end of the infusion",
    }[protocol.monitoring.observation_from]
