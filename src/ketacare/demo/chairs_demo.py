"""Demo sessions at the chair: months of completed sessions, and a live chair board.

History (`load_chair_history`, once, inside `load_demo`): every treatment a demo plan gave
before the booking window gets its completed appointment (placed by the schedule demo's
`Booker`, so chairs, hours and prescribers stay consistent), and every completed treatment
appointment gets a discharged session: pre-dose vitals, the dose (esketamine devices 5 minutes
apart, IV infusions with their duration), readings at the protocol's interval with the usual
small transient BP rise around 40 minutes, MOAA/S and CADSS-6 that dip and recover, now and then
an alert from the real `clinical.vitals` rules acknowledged with a repeat reading, discharge a
little after the minimum observation. Esketamine sessions have their REMS monitoring form,
submitted within days except the latest few (due) and one overdue. All bulk inserts.

Live board (`stage_live_chairs`, every `ketacare demo` run): four sessions in progress at the
first demo clinic, timed relative to now — an IV infusion running, an IV patient whose BP just
rose (the reading goes through `do_record_vitals`, so the alert is the real one, open), an
esketamine patient about 45 minutes after the first device, and one ready for discharge. The
previous run's staged sessions are deleted first, so repeated runs never pile up.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.clinical.dosing import DoseCalculation
from ketacare.clinical.protocols import ESKETAMINE_DEVICE_MG, ObservationStart, Protocol
from ketacare.clinical.vitals import DEFAULT_LIMITS, VitalSigns, evaluate_reading
from ketacare.demo.schedule_demo import Booker, Calendar, Course, _chairs_for, _staff_hours
from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.plans.actions import plan_dose, plan_protocol
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Resource,
    ResourceKind,
)
from ketacare.treatments.actions import DRUGS, do_record_vitals
from ketacare.treatments.checks import manual_items
from ketacare.treatments.models import (
    AlertAction,
    CheckResult,
    DeviceAdministration,
    DoseRecord,
    PreDoseCheck,
    ReadingPhase,
    SessionAlert,
    SessionStatus,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.models_rems import RemsMonitoringForm, RemsSubmitMethod

HISTORY_DAYS = 182  # sessions before the booking window, this far back
LIVE_MARK = "Demo: live chair session (re-staged by `ketacare demo`)."
SETUP_MIN = 15  # check-in, checks and vitals before the dose
DEMO = Actor(label="demo-loader")


@dataclass
class Staff:
    nurse: User
    prescriber: User


@dataclass
class Bundle:
    """One session's unsaved rows."""

    session: TreatmentSession
    dose: DoseRecord | None = None
    devices: list[DeviceAdministration] = field(default_factory=list)
    readings: list[VitalReading] = field(default_factory=list)
    alerts: list[tuple[int, SessionAlert]] = field(default_factory=list)  # (reading index, a)
    checks: list[PreDoseCheck] = field(default_factory=list)


@dataclass(frozen=True)
class PatientVitals:
    sbp: int
    dbp: int
    hr: int


def _patient_vitals(rng: random.Random) -> PatientVitals:
    return PatientVitals(rng.randint(108, 134), rng.randint(66, 84), rng.randint(60, 84))


def _lot(rng: random.Random, route: str, when: datetime) -> tuple[str, Any]:
    prefix = "ESK" if route == "esketamine_nasal" else "KET"
    lot = f"{prefix}-{when:%y}{rng.choice('ABCDEF')}{rng.randint(100, 999)}"
    expiry = (when + timedelta(days=rng.randint(150, 540))).date()
    return lot, expiry


def _dose(plan: TreatmentPlan, patient: Patient) -> DoseCalculation | None:
    weights = list(BodyMeasurement.objects.filter(patient=patient).order_by("-measured_at")[:5])
    weight = weights[0].weight_kg if weights else None
    height = next((m.height_cm for m in weights if m.height_cm is not None), None)
    try:
        return plan_dose(
            plan, weight_kg=weight, height_cm=height, sex=patient.sex_at_birth, first_session=False
        )
    except ValueError:
        return None


def _reading(
    session: TreatmentSession,
    when: datetime,
    who: User,
    phase: str,
    **values: Any,
) -> VitalReading:
    return VitalReading(
        session=session,
        phase=phase,
        taken_at=when,
        recorded_at=when + timedelta(seconds=40),
        recorded_by=who,
        **values,
    )


def build_session(
    *,
    appointment: Appointment,
    plan: TreatmentPlan,
    protocol: Protocol,
    calc: DoseCalculation | None,
    base: PatientVitals,
    staff: Staff,
    rng: random.Random,
    until: datetime | None = None,
    step_min: int | None = None,
    calm: bool = False,
    discharge: bool = True,
) -> Bundle:
    """One session from check-in on; with `until`, only what happened by then (still running)."""
    start = appointment.starts_at
    esk = plan.route == "esketamine_nasal"
    nurse = staff.nurse
    checked_in = appointment.checked_in_at or start - timedelta(minutes=rng.randint(2, 10))
    checks_at = start + timedelta(minutes=rng.randint(5, 9))
    dose_at = start + timedelta(minutes=SETUP_MIN)
    mon = protocol.monitoring
    session = TreatmentSession(
        clinic=appointment.clinic,
        patient_id=appointment.patient_id,
        appointment=appointment,
        plan=plan,
        protocol_code=plan.protocol_code,
        protocol_version=plan.protocol_version,
        route=plan.route,
        status=SessionStatus.PRE_DOSE,
        checked_in_at=checked_in,
        checked_in_by=nurse,
        checks_at=checks_at,
        checks_by=nurse,
        checks_passed=True,
        created_at=checked_in,
    )
    bundle = Bundle(session)
    cutoff = until or datetime.max.replace(tzinfo=start.tzinfo)
    pre_sbp = base.sbp + rng.randint(-6, 8)
    pre_dbp = base.dbp + rng.randint(-4, 5)
    pre_hr = base.hr + rng.randint(-5, 6)
    bundle.readings.append(
        _reading(
            session,
            checks_at,
            nurse,
            ReadingPhase.PRE_DOSE,
            systolic_mmhg=pre_sbp,
            diastolic_mmhg=pre_dbp,
            heart_rate_bpm=pre_hr,
            spo2_pct=rng.randint(96, 99),
            resp_rate_per_min=rng.randint(12, 16),
            moaas=5,
            cadss6=0,
        )
    )
    if dose_at > cutoff or calc is None:
        return bundle
    # The dose: esketamine devices >= 5 min apart, IV over the infusion time, else at once.
    given = calc.dose_mg
    devices_planned = int(given // ESKETAMINE_DEVICE_MG) if esk else None
    interval = calc.device_interval_min or 5
    if esk and devices_planned:
        device_times = [
            dose_at + timedelta(minutes=k * interval, seconds=rng.randint(0, 50))
            for k in range(devices_planned)
        ]
        dosing_end = device_times[-1]
        observe_from = device_times[0]
    else:
        device_times = []
        duration = calc.duration_min or protocol.dose.duration_min or 0
        dosing_end = dose_at + timedelta(minutes=duration)
        if mon.observation_from == ObservationStart.END_OF_INFUSION:
            observe_from = dosing_end
        else:
            observe_from = dose_at
    lot, expiry = _lot(rng, plan.route, start)
    dose = DoseRecord(
        session=session,
        drug=DRUGS.get(plan.route, "Ketamine"),
        concentration_mg_per_ml=calc.concentration_mg_per_ml,
        lot_number=lot,
        expiry=expiry,
        calculated_mg=calc.dose_mg,
        formula=list(calc.formula),
        weight_kg=calc.weight_kg,
        given_mg=given,
        route=plan.route,
        devices_planned=devices_planned,
        device_interval_min=calc.device_interval_min,
        started_at=dose_at,
        stopped_at=dosing_end if dosing_end <= cutoff else None,
        recorded_by=nurse,
    )
    bundle.dose = dose
    session.dosing_started_at, session.dosing_started_by = dose_at, nurse
    bundle.devices = [
        DeviceAdministration(dose=dose, number=n, given_at=t, recorded_by=nurse)
        for n, t in enumerate(device_times, start=1)
        if t <= cutoff
    ]
    if esk and not bundle.devices:
        session.status = SessionStatus.DOSING
        return bundle
    session.observation_started_at = observe_from if observe_from <= cutoff else None
    done = dosing_end <= cutoff
    if done:
        session.dosing_ended_at, session.dosing_ended_by = dosing_end, nurse
    # Readings: the protocol's interval (15 min when it gives none) while dosing and after.
    during_step = step_min or mon.vitals_interval_during_min or 15
    after_step = step_min or mon.vitals_interval_after_min or mon.vitals_interval_during_min or 15
    end = observe_from + timedelta(minutes=mon.min_observation_min + rng.randint(3, 18))
    if not discharge and until is not None:
        end = max(end, until + timedelta(minutes=10))  # still in the chair: readings go on
    amp = 0 if calm else rng.choice([6, 8, 10, 12, 14, 16, 18, 22])
    if not calm and rng.random() < 0.06:
        amp = rng.randint(42, 62)  # a large transient rise: the alert rules fire
    moaas_dip = (not calm or esk) and rng.random() < (0.5 if esk else 0.35)
    cadss_peak = rng.randint(3, 12) if esk else rng.randint(2, 14)
    t = dose_at + timedelta(minutes=during_step)
    baseline = VitalSigns(
        systolic_mmhg=pre_sbp, diastolic_mmhg=pre_dbp, heart_rate_bpm=pre_hr, spo2_pct=98
    )
    while t < end - timedelta(minutes=4):
        m = (t - dose_at).total_seconds() / 60
        bump = math.exp(-(((m - 40) / 28) ** 2))
        dissoc = math.exp(-(((m - 30) / 22) ** 2))
        values = {
            "systolic_mmhg": round(pre_sbp + amp * bump + rng.randint(-4, 4)),
            "diastolic_mmhg": round(pre_dbp + 0.55 * amp * bump + rng.randint(-3, 3)),
            "heart_rate_bpm": round(pre_hr + 0.4 * amp * bump + rng.randint(-4, 4)),
            "spo2_pct": rng.choice([96, 97, 97, 98, 98, 99]),
            "resp_rate_per_min": rng.randint(12, 17),
        }
        if 15 <= m <= 50 or rng.random() < 0.3:
            values["moaas"] = 4 if moaas_dip and 15 <= m <= 55 else 5
            values["cadss6"] = max(0, round(cadss_peak * dissoc + rng.uniform(-0.6, 0.6)))
        index = len(bundle.readings)
        reading = _reading(session, t, nurse, ReadingPhase.DURING, **values)
        bundle.readings.append(reading)
        signs = VitalSigns(
            systolic_mmhg=values["systolic_mmhg"],
            diastolic_mmhg=values["diastolic_mmhg"],
            heart_rate_bpm=values["heart_rate_bpm"],
            spo2_pct=values["spo2_pct"],
            resp_rate_per_min=values["resp_rate_per_min"],
        )
        raised = evaluate_reading(signs, DEFAULT_LIMITS, baseline)
        if raised:
            ack = t + timedelta(minutes=rng.randint(1, 4))
            for a in raised:
                bundle.alerts.append(
                    (
                        index,
                        SessionAlert(
                            session=session,
                            code=a.code,
                            level=str(a.level),
                            field=a.field,
                            message=a.message,
                            source=a.source,
                            raised_at=t,
                            acknowledged_at=ack if ack <= cutoff else None,
                            acknowledged_by=nurse if ack <= cutoff else None,
                            action=AlertAction.REPEAT_5MIN if ack <= cutoff else "",
                            note="Asymptomatic; repeat in 5 minutes." if ack <= cutoff else "",
                        ),
                    )
                )
            # The repeat reading five minutes later is lower; the rise is easing.
            amp = min(amp, 24)
            t += timedelta(minutes=5)
            continue
        t += timedelta(minutes=during_step if t < dosing_end else after_step)
    last = end - timedelta(minutes=rng.randint(2, 4))
    bundle.readings.append(
        _reading(
            session,
            last,
            nurse,
            ReadingPhase.DURING,
            systolic_mmhg=pre_sbp + rng.randint(-3, 6),
            diastolic_mmhg=pre_dbp + rng.randint(-3, 4),
            heart_rate_bpm=pre_hr + rng.randint(-3, 4),
            spo2_pct=rng.randint(97, 99),
            resp_rate_per_min=rng.randint(12, 16),
            moaas=5,
            cadss6=0,
        )
    )
    bundle.readings = [r for r in bundle.readings if r.taken_at <= cutoff]
    bundle.alerts = [(i, a) for i, a in bundle.alerts if i < len(bundle.readings)]
    ready = observe_from + timedelta(minutes=mon.min_observation_min)
    if not done:
        session.status = SessionStatus.DOSING
    elif end <= cutoff and discharge:
        session.status = SessionStatus.DISCHARGED
        session.ready_at = max(ready, last)
        session.escort_confirmed = True
        session.escort_confirmed_at = checked_in + timedelta(minutes=1)
        session.escort_confirmed_by = nurse
        session.discharged_at, session.discharged_by = end, nurse
    elif ready <= cutoff:
        session.status = SessionStatus.READY
        session.ready_at = ready
    else:
        session.status = SessionStatus.MONITORING
    return bundle


def save_bundles(bundles: list[Bundle]) -> None:
    """Bulk insert, in dependency order (PostgreSQL and SQLite return the new keys)."""
    TreatmentSession.objects.bulk_create([b.session for b in bundles], batch_size=500)
    for b in bundles:
        if b.dose is not None:
            b.dose.session = b.session
        for r in b.readings:
            r.session = b.session
        for c in b.checks:
            c.session = b.session
    doses = [b.dose for b in bundles if b.dose is not None]
    DoseRecord.objects.bulk_create(doses, batch_size=500)
    devices = []
    for b in bundles:
        for d in b.devices:
            d.dose = b.dose  # type: ignore[assignment]  # a device implies a dose
            devices.append(d)
    DeviceAdministration.objects.bulk_create(devices, batch_size=1000)
    VitalReading.objects.bulk_create([r for b in bundles for r in b.readings], batch_size=2000)
    alerts = []
    for b in bundles:
        for index, alert in b.alerts:
            alert.session = b.session
            alert.reading = b.readings[index]
            alerts.append(alert)
    SessionAlert.objects.bulk_create(alerts, batch_size=1000)
    PreDoseCheck.objects.bulk_create([c for b in bundles for c in b.checks], batch_size=1000)


def _staff(clinic: Clinic) -> Staff:
    users = {
        m.role: m.user
        for m in Membership.objects.filter(
            clinic=clinic, user__email__endswith=f"{clinic.slug}.demo"
        ).select_related("user")
    }
    return Staff(nurse=users[Role.NURSE], prescriber=users[Role.PRESCRIBER])


# --- history --------------------------------------------------------------------------------


def _book_history(
    clinic: Clinic, calendar: Calendar, courses: list[Course], rng: random.Random
) -> list[Appointment]:
    staff = _staff(clinic)
    resources = {r.name: r for r in Resource.objects.filter(clinic=clinic)}
    chairs = sorted(
        (r for r in resources.values() if r.kind == ResourceKind.CHAIR), key=lambda r: r.sort_order
    )
    booker = Booker(
        clinic=clinic,
        calendar=calendar,
        rng=rng,
        nurse=staff.nurse,
        intake=staff.nurse,
        chairs=chairs,
        consult=resources["Consult room"],
        therapy=resources["Therapy room"],
        staff_hours=_staff_hours(clinic),
        prescriber_ids=set(
            Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).values_list(
                "user_id", flat=True
            )
        ),
    )
    oldest = calendar.start - timedelta(days=HISTORY_DAYS)
    for course in sorted(courses, key=lambda c: (-c.minutes, not c.esketamine, c.plan_id)):
        fit = _chairs_for(course, chairs, rng)
        for s in course.history:
            if s.day < oldest:
                continue
            booker.place(
                patient_id=course.patient_id,
                day=s.day,
                latest_day=min(s.day + timedelta(days=2), calendar.start - timedelta(days=1)),
                minutes=course.minutes,
                kind=AppointmentType.TREATMENT,
                resources=list(fit),
                clinician=staff.nurse,
                prefer=course.start_minute,
                esketamine=course.esketamine,
                plan_id=course.plan_id,
                phase=s.phase,
                session_number=s.number,
                series=s.series,
            )
    for row in booker.rows:
        row.status = AppointmentStatus.COMPLETED
        row.created_at = row.starts_at - timedelta(days=rng.randint(3, 14))
        row.checked_in_at = row.starts_at - timedelta(minutes=rng.randint(2, 12))
        row.checked_in_by = staff.nurse
        row.updated_at = row.ends_at
    Appointment.objects.bulk_create(booker.rows, batch_size=500)
    return booker.rows


def load_chair_history(
    clinic: Clinic,
    calendar: Calendar,
    courses: list[Course],
    rng: random.Random,
    progress: Callable[[str], None] = lambda _: None,
) -> int:
    """Completed sessions for every completed treatment appointment of the demo plans."""
    booked = _book_history(clinic, calendar, courses, rng)
    staff = _staff(clinic)
    appointments = list(
        Appointment.objects.filter(
            clinic=clinic,
            type=AppointmentType.TREATMENT,
            status=AppointmentStatus.COMPLETED,
            plan__isnull=False,
            treatment_session__isnull=True,
        )
        .select_related("plan", "patient", "clinic")
        .order_by("starts_at")
    )
    plans: dict[int, tuple[Protocol, DoseCalculation | None]] = {}
    bases: dict[Any, PatientVitals] = {}
    bundles = []
    for appt in appointments:
        plan = appt.plan
        assert plan is not None
        if plan.pk not in plans:
            plans[plan.pk] = (plan_protocol(plan), _dose(plan, appt.patient))
        protocol, calc = plans[plan.pk]
        base = bases.setdefault(appt.patient_id, _patient_vitals(rng))
        bundles.append(
            build_session(
                appointment=appt,
                plan=plan,
                protocol=protocol,
                calc=calc,
                base=base,
                staff=staff,
                rng=rng,
            )
        )
    save_bundles(bundles)
    _rems_history(clinic, [b.session for b in bundles], staff, rng)
    progress(
        f"{clinic.name}: {len(booked)} earlier treatments booked, "
        f"{len(bundles)} completed sessions at the chair"
    )
    return len(bundles)


def _rems_history(
    clinic: Clinic, sessions: list[TreatmentSession], staff: Staff, rng: random.Random
) -> None:
    """Submitted forms for the esketamine sessions, except the latest two and one overdue."""
    zone = clinic_zone(clinic)
    today = timezone.now().astimezone(zone).date()
    esk = sorted(
        (s for s in sessions if s.is_esketamine and s.status == SessionStatus.DISCHARGED),
        key=lambda s: s.observation_started_at or s.created_at,
    )
    open_ids = {s.pk for s in esk[-2:]}
    older = [
        s
        for s in esk
        if s.observation_started_at
        and 8 <= (today - s.observation_started_at.astimezone(zone).date()).days <= 20
    ]
    if older:
        open_ids.add(older[-1].pk)
    rows = []
    for s in esk:
        day = (s.observation_started_at or s.created_at).astimezone(zone).date()
        if s.pk in open_ids:
            rows.append(
                RemsMonitoringForm(
                    session=s, clinic=clinic, updated_at=s.discharged_at or s.created_at
                )
            )
            continue
        sent = min(day + timedelta(days=rng.choice([0, 1, 1, 2, 3, 5])), today)
        rows.append(
            RemsMonitoringForm(
                session=s,
                clinic=clinic,
                entries={"serious_adverse_events": "No"},
                updated_at=s.discharged_at or s.created_at,
                updated_by=staff.nurse,
                submitted_on=sent,
                submitted_at=datetime.combine(sent, datetime.min.time(), tzinfo=zone).replace(
                    hour=17, minute=rng.randint(0, 59)
                ),
                submitted_by=staff.nurse,
                method=RemsSubmitMethod.ONLINE if rng.random() < 0.85 else RemsSubmitMethod.FAX,
                confirmation=f"PMF-{rng.randint(100000, 999999)}",
            )
        )
    RemsMonitoringForm.objects.bulk_create(rows, batch_size=500)


# --- the live board -------------------------------------------------------------------------


def delete_sessions(sessions: QuerySet[TreatmentSession]) -> None:
    """Delete sessions and everything hanging off them (their rows protect each other)."""
    from ketacare.treatments.models_substances import SubstanceEntry

    # Drug someone recorded on a staged session: its log entries and their corrections go too
    # (a correction protects the entry it corrects, and need not name the session).
    ids = set(SubstanceEntry.objects.filter(session__in=sessions).values_list("pk", flat=True))
    while True:
        more = set(SubstanceEntry.objects.filter(corrects_id__in=ids).values_list("pk", flat=True))
        if more <= ids:
            break
        ids |= more
    entries = SubstanceEntry.objects.filter(pk__in=ids)
    while entries.exists():
        entries.filter(corrections__isnull=True).delete()
    RemsMonitoringForm.objects.filter(session__in=sessions).delete()
    DeviceAdministration.objects.filter(dose__session__in=sessions).delete()
    DoseRecord.objects.filter(session__in=sessions).delete()
    SessionAlert.objects.filter(session__in=sessions).delete()
    VitalReading.objects.filter(session__in=sessions, corrects__isnull=False).delete()
    VitalReading.objects.filter(session__in=sessions).delete()
    sessions.delete()


@dataclass(frozen=True)
class LiveSpec:
    chair: str
    route: str
    minutes_ago: int  # appointment start
    high_bp: bool = False
    fallback: LiveSpec | None = None  # when no other patient is on this route


LIVE = (
    LiveSpec("Chair 1", "iv_racemic", 38),
    LiveSpec("Chair 2", "iv_racemic", 92, high_bp=True),
    LiveSpec("Chair 5", "esketamine_nasal", 62),
    # Ready for discharge: 2 h after the first device (or after an IV infusion's end).
    LiveSpec("Chair 6", "esketamine_nasal", 148, fallback=LiveSpec("Chair 3", "iv_racemic", 190)),
)


def stage_live_chairs(clinic: Clinic, now: datetime | None = None) -> list[TreatmentSession]:
    """Four sessions in progress at `clinic`, relative to now; replaces the last staging."""
    now = now or timezone.now()
    rng = random.Random(int(now.timestamp()) // 3600)
    staff = _staff(clinic)
    with transaction.atomic():
        old = Appointment.objects.filter(clinic=clinic, notes=LIVE_MARK)
        delete_sessions(TreatmentSession.objects.filter(appointment__in=old))
        old.delete()
        chairs = {r.name: r for r in Resource.objects.filter(clinic=clinic)}
        used: set[Any] = set()
        bundles: list[Bundle] = []
        staged: list[LiveSpec] = []
        taken: set[int] = set()
        for wanted in LIVE:
            # The spec, or its fallback when no patient or no chair is free for it (earlier
            # sessions of today's history may fill every esketamine chair at that hour).
            for spec in (wanted, wanted.fallback):
                if spec is None:
                    break
                starts = now - timedelta(minutes=spec.minutes_ago)
                ends = starts + timedelta(minutes=SETUP_MIN + 180)
                plan = _live_plan(clinic, spec.route, used, starts, ends)
                chair = _live_chair(clinic, chairs, spec, taken, starts, ends)
                if plan is not None and chair is not None:
                    break
            if spec is None or chair is None or plan is None:
                continue
            staged.append(spec)
            used.add(plan.patient_id)
            taken.add(chair.pk)
            protocol = plan_protocol(plan)
            _free_up(clinic, chair, plan.patient_id, starts, ends, now)
            appt = Appointment.objects.create(
                clinic=clinic,
                patient_id=plan.patient_id,
                type=AppointmentType.TREATMENT,
                starts_at=starts,
                ends_at=ends,
                resource=chair,
                clinician=staff.nurse,
                plan=plan,
                phase=plan.phase,
                session_number=1,
                series=uuid.uuid4(),
                status=AppointmentStatus.CHECKED_IN,
                checked_in_at=starts - timedelta(minutes=4),
                checked_in_by=staff.nurse,
                notes=LIVE_MARK,
                created_by=staff.nurse,
                created_at=starts - timedelta(days=6),
                updated_at=starts - timedelta(minutes=4),
            )
            bundle = build_session(
                appointment=appt,
                plan=plan,
                protocol=protocol,
                calc=_dose(plan, plan.patient),
                base=_patient_vitals(rng),
                staff=staff,
                rng=rng,
                until=now - timedelta(minutes=1),
                step_min=5,
                calm=True,
                discharge=False,
            )
            bundle.checks = [
                PreDoseCheck(
                    session=bundle.session,
                    code=item.code,
                    label=item.label,
                    result=CheckResult.YES,
                    by=staff.nurse,
                    at=bundle.session.checks_at or starts,
                )
                for item in manual_items(protocol)
            ]
            bundles.append(bundle)
        save_bundles(bundles)
        sessions = [b.session for b in bundles]
        for spec, session in zip(staged, sessions, strict=True):
            if spec.high_bp and session.status in (
                SessionStatus.DOSING,
                SessionStatus.MONITORING,
                SessionStatus.READY,
            ):
                _high_bp(session, staff, now)
        record(DEMO, "demo.chairs.staged", clinic_id=clinic.pk, detail={"sessions": len(sessions)})
    return sessions


def _held(starts: datetime, ends: datetime) -> Q:
    """Appointments that cannot make way: given (or being given) at the chair."""
    return Q(starts_at__lt=ends, ends_at__gt=starts) & (
        Q(status=AppointmentStatus.COMPLETED) | Q(treatment_session__isnull=False)
    )


def _live_chair(
    clinic: Clinic,
    chairs: dict[str, Resource],
    spec: LiveSpec,
    taken: set[int],
    starts: datetime,
    ends: datetime,
) -> Resource | None:
    """The spec's chair, else another chair fit for the route, free of sessions then."""
    esk = spec.route == "esketamine_nasal"
    fit = [
        c
        for c in sorted(chairs.values(), key=lambda c: (c.name != spec.chair, c.sort_order))
        if c.kind == ResourceKind.CHAIR
        and (c.esketamine_certified if esk else c.has_iv_pump and c.has_monitor)
        and c.pk not in taken
    ]
    for chair in fit:
        if not Appointment.objects.filter(_held(starts, ends), resource=chair).exists():
            return chair
    return None


def _live_plan(
    clinic: Clinic, route: str, used: set[Any], starts: datetime, ends: datetime
) -> TreatmentPlan | None:
    busy = set(
        TreatmentSession.objects.filter(
            clinic=clinic,
            status__in=[
                SessionStatus.CHECKED_IN,
                SessionStatus.PRE_DOSE,
                SessionStatus.DOSING,
                SessionStatus.MONITORING,
                SessionStatus.READY,
            ],
        ).values_list("patient_id", flat=True)
    )
    plans = (
        TreatmentPlan.objects.filter(clinic=clinic, route=route, status=PlanStatus.ACTIVE)
        .select_related("patient")
        .order_by("patient__mrn")
    )
    busy |= set(
        Appointment.objects.filter(_held(starts, ends), clinic=clinic).values_list(
            "patient_id", flat=True
        )
    )
    for plan in plans:
        if plan.patient_id not in used and plan.patient_id not in busy:
            return plan
    return None


def _free_up(
    clinic: Clinic,
    chair: Resource,
    patient_id: Any,
    starts: datetime,
    ends: datetime,
    now: datetime,
) -> None:
    """The staged session takes the chair: bookings there (or of the patient) that overlap are
    cancelled with a reason, so the schedule never shows a double booking."""
    clash = Appointment.objects.filter(
        Q(resource=chair) | Q(patient_id=patient_id),
        clinic=clinic,
        starts_at__lt=ends,
        ends_at__gt=starts,
        status__in=[
            AppointmentStatus.BOOKED,
            AppointmentStatus.CONFIRMED,
            AppointmentStatus.CHECKED_IN,
        ],
        treatment_session__isnull=True,
    )
    for appt in clash:
        appt.status = AppointmentStatus.CANCELLED
        appt.status_reason = "Rebooked by the clinic: the chair is in use (demo live board)."
        appt.cancelled_at = now
        appt.updated_at = now
        appt.save(update_fields=["status", "status_reason", "cancelled_at", "updated_at"])


def _high_bp(session: TreatmentSession, staff: Staff, now: datetime) -> None:
    """The nurse enters a high BP through the action: the real alert opens on the board."""
    reading = do_record_vitals(
        Actor(user_id=staff.nurse.pk, label=staff.nurse.email, role=Role.NURSE),
        session,
        {
            "systolic_mmhg": 186,
            "diastolic_mmhg": 104,
            "heart_rate_bpm": 96,
            "spo2_pct": 97,
            "resp_rate_per_min": 16,
        },
    )
    when = now - timedelta(minutes=2)
    VitalReading.objects.filter(pk=reading.pk).update(taken_at=when, recorded_at=when)
    SessionAlert.objects.filter(reading=reading).update(raised_at=when)


def live_demo_clinic() -> Clinic | None:
    from ketacare.demo.loader import CLINICS

    return Clinic.objects.filter(slug=CLINICS[0].slug).first()
