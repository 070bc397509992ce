"""The session page's sedation/dissociation timepoints (MOAA/S and CADSS-6), read from the
session's readings; the rule is `clinical.sedation.timepoints`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ketacare.clinical.protocols import Protocol, RequiredCheck
from ketacare.clinical.sedation import PRE_DISCHARGE_WINDOW_MIN, Timepoint, timepoints
from ketacare.treatments.models import ReadingPhase, TreatmentSession, VitalReading


def first_dose_at(session: TreatmentSession) -> datetime | None:
    """Esketamine: the first device (the observation clock); otherwise the start of the dose."""
    return (session.observation_started_at if session.is_esketamine else None) or (
        session.dosing_started_at
    )


def sedation_timepoints(
    session: TreatmentSession,
    protocol: Protocol,
    readings: Sequence[VitalReading],
    now: datetime,
    pre_discharge_window_min: int | None = None,
) -> tuple[Timepoint, ...]:
    """Empty when the protocol does not ask for sedation/dissociation scoring and none was
    recorded. `pre_discharge_window_min`: the session's (`ClinicMonitoring`), read here when
    not given, so the page shows the window discharge judges by."""
    scored = [r for r in readings if r.moaas is not None and r.cadss6 is not None]
    asked = RequiredCheck.SEDATION_DISSOCIATION in protocol.monitoring.required_checks
    if not asked and not scored:
        return ()
    start = first_dose_at(session)
    pre_done = any(r.phase == ReadingPhase.PRE_DOSE for r in scored)
    during = [r for r in scored if r.phase == ReadingPhase.DURING]
    observed = session.observation_started_at
    if pre_discharge_window_min is None:
        from ketacare.treatments.state import session_monitoring

        pre_discharge_window_min = session_monitoring(session).pre_discharge_window_min
    return timepoints(
        pre_dose_done=pre_done,
        scored_at_min=_minutes(during, start),
        minutes_now=(now - start).total_seconds() / 60 if start else None,
        # `timepoints` opens the pre-discharge window its default PRE_DISCHARGE_WINDOW_MIN
        # before the minimum it is given: shifted so that it opens the clinic's window before
        # the protocol's minimum (the minimum itself is used for nothing else there).
        min_observation_min=protocol.monitoring.min_observation_min
        - pre_discharge_window_min
        + PRE_DISCHARGE_WINDOW_MIN,
        scored_observed_min=_minutes(during, observed),
        observed_now=(now - observed).total_seconds() / 60 if observed else None,
        ended=not session.is_active,
    )


def _minutes(readings: Sequence[VitalReading], since: datetime | None) -> list[float]:
    if since is None:
        return []
    return [(r.taken_at - since).total_seconds() / 60 for r in readings]
