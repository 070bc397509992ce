"""Running a treatment session: every change is one `do_*` action here.

Each action owns its transaction, locks the session row (`select_for_update`) and re-reads its
state, refuses anything out of order with an `ActionError` naming the field, and writes an
audit entry `treatments.session.<verb>`. The order is enforced here, not in the pages:
check in (today's appointment) → pre-dose checks (a BP hold needs a prescriber) → dose (above
the plan only by a prescriber; esketamine never above the label's 84 mg) → vitals and alerts →
discharge. Before any drug is given the session may be aborted with a reason. Once a drug has
been given (the first esketamine device; any other dose once started), "stop" stops the
dosing only: the amount given is recorded and monitoring goes on to the normal discharge
gates. The one end without discharge after a drug is an emergency transfer out, with a reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.clinical.dosing import DoseCalculation, judge_given_dose
from ketacare.clinical.infusion import InfusionChange, judge_infusion_end
from ketacare.clinical.predose import (
    MEDICATION_CLASS_CODES,
    medication_change_hold,
    pregnancy_test_hold,
)
from ketacare.clinical.protocols import (
    ESKETAMINE_DEVICE_MG,
    DoseKind,
    DoseRule,
    ObservationStart,
    Protocol,
    RequiredCheck,
)
from ketacare.clinical.vitals import (
    VitalSigns,
    implausible,
    pre_dose_hold,
)
from ketacare.core import reasons
from ketacare.core.reasons import is_few_words
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.plans.actions import plan_dose
from ketacare.plans.models import PlanStatus
from ketacare.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Resource,
)
from ketacare.treatments.checks import (
    answer_problems,
    automatic_checks,
    missing_readings,
    session_items,
    standing_problems,
)
from ketacare.treatments.dosing_gate import refuse_more_drug_if_blocked
from ketacare.treatments.limits import clinic_monitoring
from ketacare.treatments.locking import refuse_if_locked
from ketacare.treatments.models import (
    ACTIVE_SESSION_STATUSES,
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
from ketacare.treatments.readings import (  # noqa: F401  (MONITORED: views use it)
    MONITORED,
    NewReading,
    ready_since,
    refresh_ready,
    store_readings,
)
from ketacare.treatments.record_changes import changes_since
from ketacare.treatments.state import (
    readiness,
    session_monitoring,
    session_protocol,
    signs,
)

VITAL_FIELDS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_pct",
    "resp_rate_per_min",
    "temperature_c",
)
SCORE_LIMITS = {"moaas": (0, 5, "MOAA/S runs 0–5"), "cadss6": (0, 24, "CADSS-6 runs 0–24")}
DRUGS = {
    "esketamine_nasal": "Esketamine nasal spray 28 mg device (SPRAVATO)",
    "iv_racemic": "Ketamine hydrochloride injection",
    "im_racemic": "Ketamine hydrochloride injection",
    "oral_sublingual_racemic": "Ketamine (compounded oral/sublingual)",
}


class DischargeRefused(ActionError):
    """Discharge refused; `reasons` lists every unmet criterion."""

    def __init__(self, reasons: list[str], field: str = "discharge"):
        super().__init__(field, " ".join(reasons))
        self.reasons = reasons


def _locked(session: TreatmentSession) -> TreatmentSession:
    locked = (
        # Only the session row (`of`): a plain FOR UPDATE on this join also locked the plan,
        # patient and clinic rows, serialising every chair action of the clinic and holding up
        # each insert that points at them (audit entries, the feed, the watchers' notices).
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("plan", "patient", "clinic")
        .get(pk=session.pk)
    )
    refuse_if_locked(locked)
    return locked


def _require(session: TreatmentSession, *statuses: str, field: str = "status") -> None:
    if session.status not in statuses:
        raise ActionError(
            field,
            f"Not possible while the session is “{session.get_status_display()}”.",
        )


def _audit(
    actor: Actor, session: TreatmentSession, verb: str, detail: dict[str, Any] | None = None
) -> None:
    record(
        actor,
        f"treatments.session.{verb}",
        object_type="session",
        object_id=session.pk,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail=detail or {},
    )


def meaningful_reason(field: str, text: Any, what: str) -> str:
    """`text` stripped, or an ActionError on `field` when it is shorter than a few words
    (`core.reasons`)."""
    reason = str(text or "").strip()
    if not is_few_words(reason):
        raise ActionError(field, f"{what}: give the reason in a few words ({reasons.FLOOR}).")
    return reason


def _has_role(actor: Actor, clinic_id: int, *roles: str) -> bool:
    """The acting person holds one of `roles` in this clinic (read from the record, not from
    what the caller says)."""
    if actor.user_id is None:
        return False
    return Membership.objects.filter(
        user_id=actor.user_id,
        clinic_id=clinic_id,
        role__in=roles,
        is_active=True,
        user__is_active=True,
    ).exists()


# --- check-in -------------------------------------------------------------------------------


def _refuse_occupied_chair(clinic: Clinic, appointment: Appointment) -> None:
    """One patient per chair: refused while another session of this clinic on the
    appointment's chair is still running (not discharged, aborted or transferred out). The
    chair's row is locked first, so two check-ins to one chair at once cannot both pass."""
    if appointment.resource_id is None:
        return
    chair = (
        Resource.objects.select_for_update()
        .filter(clinic=clinic, pk=appointment.resource_id)
        .first()
    )
    if chair is None:
        return
    running = (
        TreatmentSession.objects.filter(
            clinic=clinic,
            appointment__resource_id=chair.pk,
            status__in=ACTIVE_SESSION_STATUSES,
        )
        .select_related("patient")
        .order_by("created_at")
        .first()
    )
    if running is not None:
        raise ActionError(
            "appointment",
            f"{chair.name} is in use: {running.patient.display_name}'s session there is "
            f"“{running.get_status_display()}”. Discharge, transfer or end that session first, "
            "or move this appointment to a free chair in the schedule.",
        )


def do_check_in(
    actor: Actor, clinic: Clinic, patient: Patient, appointment_id: object
) -> TreatmentSession:
    """Start the session for a treatment appointment of this patient (one session each)."""
    try:
        key = uuid.UUID(str(appointment_id))
    except ValueError:
        raise ActionError("appointment", "Choose a treatment appointment.") from None
    now = timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .filter(clinic=clinic, patient=patient, pk=key, type=AppointmentType.TREATMENT)
            .first()
        )
        if appointment is None:
            raise ActionError("appointment", "No such treatment appointment for this patient.")
        if appointment.status not in (
            AppointmentStatus.BOOKED,
            AppointmentStatus.CONFIRMED,
            AppointmentStatus.CHECKED_IN,
        ):
            raise ActionError(
                "appointment", f"The appointment is {appointment.get_status_display().lower()}."
            )
        zone = clinic_zone(clinic)
        today = clinic_today(clinic, now)
        day = timezone.localtime(appointment.starts_at, zone).date()
        if day != today:
            raise ActionError(
                "appointment",
                f"The appointment is on {day:%Y-%m-%d}: only today's ({today:%Y-%m-%d}) "
                "treatment appointments can be checked in.",
            )
        if TreatmentSession.objects.filter(appointment=appointment).exists():
            raise ActionError("appointment", "This appointment already has a session.")
        _refuse_occupied_chair(clinic, appointment)
        plan = appointment.plan
        if plan is None or plan.patient_id != patient.pk:
            raise ActionError("appointment", "The appointment is not linked to a treatment plan.")
        if plan.status != PlanStatus.ACTIVE:
            raise ActionError(
                "appointment", f"The treatment plan is {plan.get_status_display().lower()}."
            )
        session = TreatmentSession.objects.create(
            clinic=clinic,
            patient=patient,
            appointment=appointment,
            plan=plan,
            protocol_code=plan.protocol_code,
            protocol_version=plan.protocol_version,
            route=plan.route,
            status=SessionStatus.CHECKED_IN,
            checked_in_at=now,
            checked_in_by_id=actor.user_id,
        )
        if appointment.status != AppointmentStatus.CHECKED_IN:
            appointment.status = AppointmentStatus.CHECKED_IN
            appointment.checked_in_at = now
            appointment.checked_in_by_id = actor.user_id
            appointment.updated_at = now
            appointment.save(
                update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"]
            )
        _audit(actor, session, "checked_in", {"appointment": str(appointment.pk)})
    return session


# --- pre-dose checks ------------------------------------------------------------------------


def _int(field: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ActionError(field, f"{field}: enter a whole number.")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ActionError(field, f"{field}: enter a whole number.") from None


def _decimal(field: str, value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ActionError(field, f"{field}: enter a number.") from None
    if not number.is_finite():
        raise ActionError(field, f"{field}: enter a number.")
    return number


# Far above any ketamine dose in one session (anaesthetic doses are a few hundred mg): typos only.
MAX_SESSION_DOSE_MG = Decimal(5000)
# Far above any ketamine preparation (vials are 10, 50 and 100 mg/mL): catches typos only.
MAX_CONCENTRATION_MG_PER_ML = Decimal(1000)

# Far beyond any body temperature, and small enough for Decimal to round to 0.1.
TEMPERATURE_ROUNDABLE_BELOW = Decimal("1000")


def clean_vitals(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parse and check one set of readings; the first problem is raised naming its field."""
    out: dict[str, Any] = {}
    for name in VITAL_FIELDS:
        if name == "temperature_c":
            temp = _decimal(name, values.get(name))
            # Stored to 0.1 °C: a finer figure is refused, not rounded to another temperature.
            # A number too large to round (1e30) is left to `implausible` below, which names
            # the possible range.
            if temp is not None and abs(temp) < TEMPERATURE_ROUNDABLE_BELOW:
                if temp != temp.quantize(Decimal("0.1")):
                    raise ActionError(name, f"{temp} °C: enter the temperature to one decimal.")
                temp = temp.quantize(Decimal("0.1"))
            out[name] = temp
        else:
            out[name] = _int(name, values.get(name))
    problems = implausible(VitalSigns(**out))
    if problems:
        raise ActionError(*problems[0])
    for name, (low, high, message) in SCORE_LIMITS.items():
        score = _int(name, values.get(name))
        if score is not None and not low <= score <= high:
            raise ActionError(name, f"{score} is not possible: {message}.")
        out[name] = score
    if all(v is None for v in out.values()):
        raise ActionError("systolic_mmhg", "Enter at least one reading.")
    return out


def _weight_based(protocol: Protocol, session: TreatmentSession) -> bool:
    return protocol.dose_for(session.plan.phase).is_weight_based


def _hold_standing(session: TreatmentSession) -> bool:
    """A pre-dose hold raised by earlier checks that no prescriber has decided on yet."""
    return bool(session.on_hold and session.hold_cleared_at is None and session.hold_reasons)


def do_record_checks(
    actor: Actor,
    session: TreatmentSession,
    answers: Mapping[str, tuple[str, str]],
    vitals: Mapping[str, Any],
    medication_classes: Sequence[str] = (),
) -> TreatmentSession:
    """Record the checklist and the pre-dose vitals; decide pass, problems, or a hold.

    `answers` maps each typed item's code to (result, note). `medication_classes` are the
    classes ticked as started, stopped or changed since the last visit
    (`clinical.predose.MEDICATION_CLASS_CODES`): any one holds the dose for the prescriber
    (clinical.md §4)."""
    changed = list(dict.fromkeys(medication_classes))
    unknown = [c for c in changed if c not in MEDICATION_CLASS_CODES]
    if unknown:
        raise ActionError("medication_classes", f"“{unknown[0]}” is not a medication class here.")
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _require(session, SessionStatus.CHECKED_IN, SessionStatus.PRE_DOSE)
        protocol = session_protocol(session)
        # The clinic's settings now: the session keeps them (`limits_used`, below), and the
        # pregnancy-test policy decides whether "not applicable" is allowed (clinical.md §2b).
        monitoring = clinic_monitoring(session.clinic_id)
        items = session_items(session, protocol, monitoring)
        problems: list[str] = []
        held: list[str] = []  # typed answers that hold the dose for the prescriber
        rows: list[PreDoseCheck] = []
        unanswered = answer_problems(items, {c: r for c, (r, _) in answers.items()})
        if unanswered:
            raise ActionError(*unanswered[0])
        for item in items:
            result, note = answers.get(item.code, ("", ""))
            if item.code == "pregnancy_test":
                pregnancy = pregnancy_test_hold(result)
                held += list(pregnancy.reasons)
            elif result == CheckResult.NO:
                problems.append(f"{item.label}: answered no.")
            if item.code == "medication_changes":
                held += list(medication_change_hold(changed, note or "").reasons)
            rows.append(
                PreDoseCheck(
                    session=session,
                    code=item.code,
                    label=item.label,
                    result=result,
                    note=(note or "").strip(),
                    changed_classes=changed if item.code == "medication_changes" else [],
                    by_id=actor.user_id,
                    at=now,
                )
            )
        reading_values = clean_vitals(vitals)
        scores_required = RequiredCheck.SEDATION_DISSOCIATION in protocol.monitoring.required_checks
        missing = missing_readings(reading_values, scores_required)
        if missing:
            raise ActionError(*missing[0])
        for auto in automatic_checks(
            session, protocol, weight_based=_weight_based(protocol, session)
        ):
            rows.append(
                PreDoseCheck(
                    session=session,
                    code=auto.code,
                    label=auto.label,
                    result=CheckResult.YES if auto.ok else CheckResult.NO,
                    automatic=True,
                    note=auto.detail,
                    by_id=actor.user_id,
                    at=now,
                )
            )
            if not auto.ok:
                problems.append(f"{auto.label}: {auto.detail}")
        PreDoseCheck.objects.bulk_create(rows)
        reading = VitalReading.objects.create(
            session=session,
            phase=ReadingPhase.PRE_DOSE,
            taken_at=now,
            recorded_at=now,
            recorded_by_id=actor.user_id,
            **reading_values,
        )
        session.limits_used = monitoring.as_dict()  # the session keeps these limits
        hold = pre_dose_hold(signs(reading) or VitalSigns(), monitoring.limits, reading.moaas)
        # A hold stands until a prescriber decides (clinical.md §9): recording the checklist
        # again adds what the new answers hold for, it never takes an earlier hold away.
        standing = list(session.hold_reasons) if _hold_standing(session) else []
        session.status = SessionStatus.PRE_DOSE
        session.checks_at, session.checks_by_id = now, actor.user_id
        session.checks_passed = not problems
        session.check_problems = problems
        new_reasons = [*hold.reasons, *held]
        session.on_hold = bool(standing) or bool(new_reasons)
        session.hold_reasons = list(dict.fromkeys([*standing, *new_reasons]))
        session.hold_cleared_at, session.hold_cleared_by_id = None, None
        session.hold_decision_note = ""
        session.save()
        _audit(
            actor,
            session,
            "checks_recorded",
            {
                "passed": not problems,
                "problems": len(problems),
                "hold": session.on_hold,
                "hold_reasons": len(session.hold_reasons),
                "medication_classes_changed": changed,
            },
        )
    return session


def do_clear_hold(
    actor: Actor,
    session: TreatmentSession,
    proceed: bool,
    note: str,
    seen_at: datetime | None = None,
) -> TreatmentSession:
    """A prescriber's documented decision on a pre-dose hold: proceed, or do not dose today.
    The reason is one a reader of the chart can act on (`meaningful_reason`), not "ok".
    `seen_at`: when the page the prescriber decided on was shown; if the checks were recorded
    again or a reading came in since, the decision is refused and asked again."""
    note = meaningful_reason("note", note, "Document the decision on the hold")
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _require(session, SessionStatus.PRE_DOSE)
        if not session.on_hold or session.hold_cleared_at is not None:
            raise ActionError("note", "The session is not on hold.")
        if seen_at is not None:
            changed = changes_since(session, seen_at)
            if changed or (session.checks_at is not None and session.checks_at > seen_at):
                raise ActionError(
                    "note",
                    "Since this page was opened, the record changed ("
                    + ", ".join(changed or ["the checks were recorded again"])
                    + "). The hold now reads: "
                    + " ".join(session.hold_reasons)
                    + " Review it and decide again.",
                )
        # The gate is the prescriber's (clinical.md §9: a prescriber weighs the risk), read
        # from the record here, not left to the page that calls this.
        if not _has_role(actor, session.clinic_id, Role.PRESCRIBER):
            raise ActionError("note", "Only a prescriber of the clinic decides on a hold.")
        if proceed:
            session.hold_cleared_at, session.hold_cleared_by_id = now, actor.user_id
            session.hold_decision_note = note
        else:
            session.status = SessionStatus.ABORTED
            session.ended_at, session.ended_by_id = now, actor.user_id
            session.end_reason = f"Pre-dose hold, prescriber decided not to dose: {note}"
        session.save()
        _audit(actor, session, "hold_cleared" if proceed else "aborted", {"note": note})
    return session


# --- dosing ---------------------------------------------------------------------------------


def _todays_weight(patient: Patient, clinic: Clinic) -> tuple[Decimal | None, Decimal | None]:
    today, zone = clinic_today(clinic), clinic_zone(clinic)
    weight = None
    height = None
    for m in BodyMeasurement.objects.filter(patient=patient).order_by("-measured_at")[:20]:
        if weight is None and m.measured_at.astimezone(zone).date() == today:
            weight = m.weight_kg
        if height is None and m.height_cm is not None:
            height = m.height_cm
    return weight, height


def session_dose(
    session: TreatmentSession, concentration_mg_per_ml: Decimal | None = None
) -> DoseCalculation:
    """The dose the plan gives today (raises ActionError when it cannot be worked out);
    with `concentration_mg_per_ml`, the working for that strength instead of the plan's."""
    weight, height = _todays_weight(session.patient, session.clinic)
    try:
        return plan_dose(
            session.plan,
            weight_kg=weight,
            height_cm=height,
            sex=session.patient.sex_at_birth,
            first_session=_first_session(session),
            concentration_mg_per_ml=concentration_mg_per_ml,
        )
    except ValueError as exc:
        raise ActionError("given_mg", f"The dose cannot be calculated: {exc}") from None


def _first_session(session: TreatmentSession) -> bool:
    """The plan's first session: none of its sessions was discharged yet."""
    return not TreatmentSession.objects.filter(
        plan=session.plan, status=SessionStatus.DISCHARGED
    ).exists()


def dosing_blockers(session: TreatmentSession) -> list[str]:
    """Why the dose may not start now (empty: it may)."""
    if session.status != SessionStatus.PRE_DOSE:
        return [f"The pre-dose checks are not done (status: {session.get_status_display()})."]
    # The checklist's problems as they stand now: a typed "no" until the checklist is recorded
    # again, the chart's automatic items read again (a C-SSRS recorded since counts).
    blockers = standing_problems(session) if not session.checks_passed else []
    if session.on_hold and session.hold_cleared_at is None:
        blockers += [*session.hold_reasons, "A prescriber must document the decision to proceed."]
    return blockers


def do_start_dose(
    actor: Actor, session: TreatmentSession, data: Mapping[str, Any]
) -> TreatmentSession:
    """Record the dose and start it; the observation clock starts per the protocol."""
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        blockers = dosing_blockers(session)
        if blockers:
            raise ActionError("checks", " ".join(blockers))
        protocol = session_protocol(session)
        # Re-read the chart at the gate: a consent withdrawn or a flag raised since the
        # checklist was recorded stops the dose.
        late = [
            f"{a.label}: {a.detail}"
            for a in automatic_checks(
                session, protocol, weight_based=_weight_based(protocol, session)
            )
            if not a.ok
        ]
        if late:
            raise ActionError("checks", " ".join(late))
        calc = session_dose(session)
        drug_lot = None
        if data.get("lot_id"):  # a lot of the controlled-substance log: its number and expiry
            from ketacare.treatments.substance_actions import lot_for_dose

            drug_lot = lot_for_dose(session, data["lot_id"])
            typed = _decimal("concentration_mg_per_ml", data.get("concentration_mg_per_ml"))
            strength = drug_lot.concentration_mg_per_ml
            if typed is not None and strength is not None and typed != strength:
                raise ActionError(
                    "concentration_mg_per_ml",
                    f"Lot {drug_lot.lot_number} is {strength.normalize():f} mg/mL, not "
                    f"{typed.normalize():f}: choose the lot drawn from, or leave the "
                    "concentration blank.",
                )
            data = {
                "concentration_mg_per_ml": drug_lot.concentration_mg_per_ml,
                **{k: v for k, v in data.items() if v not in (None, "")},
                "lot_number": drug_lot.lot_number,
                "expiry": drug_lot.expiry,
            }
        lot = str(data.get("lot_number") or "").strip()
        if not lot:
            raise ActionError("lot_number", "Enter the lot number.")
        expiry = data.get("expiry")
        if not isinstance(expiry, date):
            raise ActionError("expiry", "Enter the expiry date.")
        if expiry < clinic_today(session.clinic):
            raise ActionError("expiry", f"This lot expired on {expiry:%Y-%m-%d}: do not use it.")
        given = _decimal("given_mg", data.get("given_mg"))
        if given is None:
            raise ActionError("given_mg", "Enter the dose given in mg.")
        _refuse_implausible_dose(given)
        rule = protocol.dose_for(session.plan.phase)
        decision = judge_given_dose(
            given,
            calc.dose_mg,
            kind=calc.kind,
            by_prescriber=_has_role(actor, session.clinic_id, Role.PRESCRIBER),
            device_mg=rule.device_mg,
            plan_doses_mg=_plan_doses(rule, calc),
            max_dose_mg=rule.max_dose_mg,
            first_session_max_mg=_first_session_max(protocol, session),
            previous_dose_mg=_previous_device_dose(session, rule),
        )
        if not decision.allowed:
            raise ActionError(decision.field, " ".join(decision.reasons))
        reason = str(data.get("deviation_reason") or "").strip()
        if given != calc.dose_mg:
            reason = meaningful_reason(
                "deviation_reason",
                reason,
                f"The dose given differs from the calculated {calc.dose_mg.normalize():f} mg",
            )
        given = given.quantize(Decimal("0.01"))
        concentration = _decimal("concentration_mg_per_ml", data.get("concentration_mg_per_ml"))
        if concentration is not None and concentration <= 0:
            # Refused, not replaced by the plan's: a 0 typed is a mistake to show, not to hide.
            raise ActionError("concentration_mg_per_ml", "Enter the concentration in mg/mL.")
        if concentration is not None and concentration > MAX_CONCENTRATION_MG_PER_ML:
            # A typo (µg for mg, a lot number in the wrong box): refused with the field named,
            # where the database would have failed the whole page (numeric overflow).
            raise ActionError(
                "concentration_mg_per_ml",
                f"{concentration.normalize():f} mg/mL is not possible: ketamine comes at up to "
                f"100 mg/mL (at most {MAX_CONCENTRATION_MG_PER_ML} mg/mL is accepted).",
            )
        if concentration is not None and concentration != concentration.quantize(Decimal("0.001")):
            # Stored to 0.001 mg/mL: a finer figure is refused, not rounded to another strength.
            raise ActionError(
                "concentration_mg_per_ml",
                f"{concentration.normalize():f} mg/mL: at most three decimals.",
            )
        devices = int(given // ESKETAMINE_DEVICE_MG) if calc.kind == DoseKind.DEVICES_28MG else None
        planned_strength = calc.concentration_mg_per_ml
        if (
            concentration is not None
            and planned_strength is not None
            and concentration != planned_strength
        ):
            # Drawn from another strength than the plan's: the same mg, but the volume and the
            # pump rate on the record must be worked out for the strength actually used.
            calc = session_dose(session, concentration)
        DoseRecord.objects.create(
            session=session,
            drug=str(data.get("drug") or "").strip() or DRUGS.get(session.route, "Ketamine"),
            concentration_mg_per_ml=concentration or calc.concentration_mg_per_ml,
            lot_number=lot,
            expiry=expiry,
            calculated_mg=calc.dose_mg,
            formula=list(calc.formula),
            weight_kg=calc.weight_kg,
            # Esketamine: what the devices recorded so far add up to (none yet).
            given_mg=Decimal(0) if devices else given,
            intended_mg=given,
            deviation_reason=reason,
            route=session.route,
            devices_planned=devices,
            device_interval_min=calc.device_interval_min,
            started_at=now,
            recorded_by_id=actor.user_id,
            drug_lot=drug_lot,
        )
        session.dosing_started_at, session.dosing_started_by_id = now, actor.user_id
        if protocol.monitoring.observation_from == ObservationStart.DOSE_GIVEN:
            session.observation_started_at = now
            session.dosing_ended_at, session.dosing_ended_by_id = now, actor.user_id
            session.status = SessionStatus.MONITORING
        else:
            session.status = SessionStatus.DOSING
        session.save()
        _audit(
            actor,
            session,
            "dose_started",
            {
                "calculated_mg": str(calc.dose_mg),
                "given_mg": str(given),
                "lot": lot,
                "above_plan": decision.above_plan,
                "below_plan": decision.below_plan,
                "strength_differs_from_plan": calc.concentration_mg_per_ml != planned_strength,
            },
        )
    return session


def _refuse_implausible_dose(given: Decimal) -> None:
    """A dose typed with more than 0.01 mg (stored to 0.01: it would be rounded to another
    dose), or far above any ketamine session (a typo: racemic protocols have no cap of their
    own, and the database would have failed the page on a number that long)."""
    if given > MAX_SESSION_DOSE_MG:
        raise ActionError(
            "given_mg",
            f"{given.normalize():f} mg is not a possible ketamine dose for one session (at most "
            f"{MAX_SESSION_DOSE_MG} mg is accepted): check the number typed.",
        )
    if given > 0 and given != given.quantize(Decimal("0.01")):
        raise ActionError("given_mg", f"{given.normalize():f} mg: at most two decimals.")


def _first_session_max(protocol: Protocol, session: TreatmentSession) -> Decimal | None:
    """The label's start dose when today is the plan's first session, whatever dose the plan
    chose ("84 mg only after an initial 56 mg dose", clinical.md §5a [LABEL]); else None."""
    floor = protocol.label_floor
    if floor is None or not _first_session(session):
        return None
    return floor.start_dose_mg


def _previous_device_dose(session: TreatmentSession, rule: DoseRule) -> Decimal | None:
    """Esketamine: the dose taken (devices × device mg) at the plan's latest earlier session
    where at least one device was taken; None for other drugs or when there is none."""
    if rule.kind is not DoseKind.DEVICES_28MG:
        return None
    earlier = (
        DoseRecord.objects.filter(session__plan_id=session.plan_id)
        .exclude(session_id=session.pk)
        .annotate(taken=Count("devices"))
        .filter(taken__gt=0)
        .order_by("-session__dosing_started_at", "-pk")
        .values_list("taken", flat=True)
        .first()
    )
    return rule.device_mg * earlier if earlier else None


def _plan_doses(rule: DoseRule, calc: DoseCalculation) -> tuple[Decimal, ...]:
    """The doses the plan's rule allows at a session: its titration steps, else its value (and
    first-session value), with today's calculated dose. Used for esketamine devices only."""
    if calc.kind != DoseKind.DEVICES_28MG:
        return ()
    values = rule.steps or tuple(v for v in (rule.value, rule.first_session_value) if v is not None)
    return (*values, calc.dose_mg)


def do_record_device(actor: Actor, session: TreatmentSession) -> DeviceAdministration:
    """One esketamine device taken now; the label's minimum interval is enforced."""
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _require(session, SessionStatus.DOSING, field="device")
        dose = DoseRecord.objects.select_for_update().filter(session=session).first()
        if dose is None or not dose.devices_planned:
            raise ActionError("device", "This session is not dosed with devices.")
        previous = list(dose.devices.order_by("number"))
        if len(previous) >= dose.devices_planned:
            raise ActionError("device", f"All {dose.devices_planned} devices are recorded.")
        # A block raised after the dose was started (a high flag, a crisis record) stops every
        # device, the first included: starting the dose was checked, the devices are the drug.
        refuse_more_drug_if_blocked(session, field="device")
        interval = dose.device_interval_min or 5
        if previous:
            earliest = previous[-1].given_at + timedelta(minutes=interval)
            if now < earliest:
                local = timezone.localtime(earliest, clinic_zone(session.clinic))
                raise ActionError(
                    "device",
                    f"Wait: the next device may be taken at {local:%H:%M} ({interval} minutes "
                    "after the last, clinical.md §6b [LABEL]).",
                )
        device = DeviceAdministration.objects.create(
            dose=dose, number=len(previous) + 1, given_at=now, recorded_by_id=actor.user_id
        )
        if not previous:
            session.observation_started_at = now
        # The devices taken are the dose given.
        dose.given_mg = ESKETAMINE_DEVICE_MG * device.number
        if device.number == dose.devices_planned:
            dose.stopped_at = now
        dose.save(update_fields=["given_mg", "stopped_at"])
        if device.number == dose.devices_planned:
            session.dosing_ended_at, session.dosing_ended_by_id = now, actor.user_id
            session.status = SessionStatus.MONITORING
        session.save()
        _audit(actor, session, "device_given", {"number": device.number})
    return device


def _refuse_incomplete_infusion(
    session: TreatmentSession, protocol: Protocol, dose: DoseRecord, now: datetime
) -> None:
    """ "Infusion stopped now" records the whole dose as given: refused while the infusion has
    clearly not run its planned time (pauses excluded, rate changes weighed;
    `clinical.infusion.judge_infusion_end`). An infusion stopped early is recorded with the
    amount from the pump, through "Stop dosing early"."""
    planned = protocol.dose_for(session.plan.phase).duration_min
    if planned is None:  # a bolus: nothing to time
        return
    planned_rate = None
    intended = dose.intended_mg if dose.intended_mg is not None else dose.given_mg
    if dose.concentration_mg_per_ml and intended:
        planned_rate = intended / dose.concentration_mg_per_ml * 60 / planned
    events = session.infusion_events.order_by("at", "pk")
    monitoring = session_monitoring(session)
    judged = judge_infusion_end(
        started_at=dose.started_at,
        now=now,
        planned_min=planned,
        changes=[InfusionChange(e.kind, e.at, e.rate_ml_per_h) for e in events],
        planned_rate_ml_per_h=planned_rate,
        early_end_pct=monitoring.infusion_early_end_pct,
        early_end_min=monitoring.infusion_early_end_min,
    )
    if not judged.complete:
        raise ActionError(
            "end",
            f"{' '.join(judged.reasons)} If it was stopped early, use “Stop dosing early” and "
            "enter the amount given from the pump.",
        )


def do_end_infusion(actor: Actor, session: TreatmentSession) -> TreatmentSession:
    """The infusion has run its course: monitoring begins and, for IV, the observation clock.
    Refused clearly before the planned time (`_refuse_incomplete_infusion`)."""
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _require(session, SessionStatus.DOSING, field="end")
        dose = DoseRecord.objects.select_for_update().get(session=session)
        if dose.devices_planned:
            raise ActionError("end", "Record each device; dosing ends with the last one.")
        protocol = session_protocol(session)
        _refuse_incomplete_infusion(session, protocol, dose, now)
        dose.stopped_at = now
        dose.save(update_fields=["stopped_at"])
        if protocol.monitoring.observation_from == ObservationStart.END_OF_INFUSION:
            session.observation_started_at = now
        session.dosing_ended_at, session.dosing_ended_by_id = now, actor.user_id
        session.status = SessionStatus.MONITORING
        session.save()
        _audit(actor, session, "infusion_ended")
    return session


# --- monitoring -----------------------------------------------------------------------------


def _refresh_ready(session: TreatmentSession, now: datetime) -> None:
    """Mark (or unmark) clinically ready to leave; the first moment is kept."""
    refresh_ready(session, now)


def do_record_vitals(
    actor: Actor, session: TreatmentSession, values: Mapping[str, Any]
) -> VitalReading:
    """Store one reading and, in the same transaction, every alert it raises
    (`treatments.readings.store_readings`, shared with the monitor feed)."""
    cleaned = clean_vitals(values)
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        stored = store_readings(actor, session, [NewReading(cleaned, now)], now)
    return stored[0].reading


def do_acknowledge_alert(
    actor: Actor, session: TreatmentSession, alert_id: int, action: str, note: str = ""
) -> SessionAlert:
    if action not in AlertAction.values:
        raise ActionError("action", "Choose the action taken.")
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        alert = (
            SessionAlert.objects.select_for_update().filter(session=session, pk=alert_id).first()
        )
        if alert is None:
            raise ActionError("alert", "No such alert on this session.")
        if alert.acknowledged_at is not None:
            raise ActionError("alert", "This alert is already acknowledged.")
        if (
            action == AlertAction.NONE_NEEDED
            and alert.level == "critical"
            and not is_few_words((note or "").strip())
        ):
            # "Act now" dismissed with nothing done: the chart must say why (a probe off the
            # finger, a cuff artefact, a value taken again), or the record shows a critical
            # value nobody answered (clinical.md §9 suggested behaviour).
            raise ActionError(
                "note",
                "A critical alert acknowledged with no action: say why in the note "
                f"({reasons.FLOOR}), e.g. “probe off the finger, 97 % on recheck”.",
            )
        alert.acknowledged_at, alert.acknowledged_by_id = now, actor.user_id
        alert.action, alert.note = action, (note or "").strip()
        alert.save()
        _refresh_ready(session, now)
        session.save(update_fields=["status", "ready_at"])
        _audit(
            actor,
            session,
            "alert_acknowledged",
            {"alert": alert.pk, "code": alert.code, "action": action},
        )
    return alert


# --- discharge and ending -------------------------------------------------------------------


def do_discharge(
    actor: Actor,
    session: TreatmentSession,
    *,
    escort_confirmed: bool = False,
    override_reason: str = "",
    may_override: bool = False,
    escort_name: str = "",
    seen_at: datetime | None = None,
) -> TreatmentSession:
    """Discharge when every criterion is met; otherwise refuse listing what is missing. A
    prescriber may override with a reason, except the esketamine observation floor. An
    override waives what the page showed (`seen_at`: when it was shown): if a reading, an
    alert or another entry came in since, the override is refused and asked again."""
    override_reason = (override_reason or "").strip()
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _require(session, SessionStatus.MONITORING, SessionStatus.READY, field="discharge")
        if (escort_name or "").strip():
            session.escort_name = escort_name.strip()[:120]
        if escort_confirmed and not session.escort_confirmed:
            session.escort_confirmed = True
            session.escort_confirmed_at, session.escort_confirmed_by_id = now, actor.user_id
        decision = readiness(session, now)
        if not decision.allowed:
            if not override_reason:
                raise DischargeRefused(list(decision.missing))
            # The caller's word is not enough: the overriding person must be a prescriber of
            # this clinic on the record.
            if not may_override or not _has_role(actor, session.clinic_id, Role.PRESCRIBER):
                raise ActionError("override_reason", "Only a prescriber may override a refusal.")
            override_reason = meaningful_reason(
                "override_reason", override_reason, "Overriding the discharge refusal"
            )
            if decision.not_overridable:
                raise DischargeRefused(
                    ["No override is possible:", *decision.not_overridable], "override_reason"
                )
            changed = changes_since(session, seen_at) if seen_at is not None else []
            if changed:
                raise DischargeRefused(
                    [
                        "Since this page was opened, the record gained "
                        + ", ".join(changed)
                        + ": review what is missing now before overriding.",
                        *decision.missing,
                    ],
                    "override_reason",
                )
            session.discharge_override_reason = override_reason
            session.discharge_missing = list(decision.missing)
        if session.ready_at is None and decision.allowed:
            # When the patient became fit to leave, not when the nurse pressed "Discharge":
            # a record unchanged since before the observation minimum was ready at that minimum.
            session.ready_at = ready_since(session, now)
        session.status = SessionStatus.DISCHARGED
        session.discharged_at, session.discharged_by_id = now, actor.user_id
        session.save()
        Appointment.objects.filter(pk=session.appointment_id).update(
            status=AppointmentStatus.COMPLETED, updated_at=now
        )
        _audit(
            actor,
            session,
            "discharged",
            {
                "minutes_observed": decision.minutes_observed,
                "override": bool(session.discharge_override_reason),
            },
        )
    return session


def drug_given(session: TreatmentSession) -> bool:
    """Has any drug reached the patient? Esketamine: once a device was taken; any other route:
    once the dose started. When in doubt, yes (the patient is then monitored)."""
    if session.dosing_started_at is None:
        return False
    dose = DoseRecord.objects.filter(session=session).first()
    if dose is None or not dose.devices_planned:
        return True
    return dose.devices.exists()


def _stop_dosing(
    actor: Actor, session: TreatmentSession, reason: str, amount: Any, now: datetime
) -> dict[str, str]:
    """End the dosing of the locked `session` early: no further device, the infusion off.
    The dose given becomes what was given: the devices taken (esketamine), else `amount`
    (mg, typed by the nurse from the pump), at most the dose set to run. Who, when and why
    are kept on the session; the caller sets the status and writes the audit entry."""
    dose = DoseRecord.objects.select_for_update().get(session=session)
    intended = dose.intended_mg if dose.intended_mg is not None else dose.given_mg
    if dose.devices_planned:
        given = ESKETAMINE_DEVICE_MG * dose.devices.count()
    else:
        typed = _decimal("given_mg", amount)
        if typed is None:
            raise ActionError(
                "given_mg",
                "Enter the amount actually given before the stop, in mg (volume infused × "
                "concentration).",
            )
        if typed < 0 or typed > intended:
            raise ActionError(
                "given_mg",
                f"{typed.normalize():f} mg is not possible: between 0 and the "
                f"{intended.normalize():f} mg set to run.",
            )
        if typed != typed.quantize(Decimal("0.01")):
            # Stored to 0.01 mg: refused, not rounded to an amount nobody typed.
            raise ActionError("given_mg", f"{typed.normalize():f} mg: at most two decimals.")
        given = typed.quantize(Decimal("0.01"))
    dose.given_mg, dose.stopped_at = given, now
    dose.save(update_fields=["given_mg", "stopped_at"])
    if session.observation_started_at is None:  # an infusion: the clock starts as it stops
        session.observation_started_at = now
    session.dosing_ended_at, session.dosing_ended_by_id = now, actor.user_id
    session.dosing_stop_reason = reason
    return {"given_mg": str(given), "intended_mg": str(intended)}


def do_stop_session(
    actor: Actor, session: TreatmentSession, reason: str, given_mg: Any = None
) -> TreatmentSession:
    """What "stop" does at the chair. Before any drug is given: the session is aborted (a
    terminal end, with the reason). Once a drug has been given and while dosing runs: the
    dosing stops (no further device, the infusion off; the amount given recorded, typed for an
    infusion, counted from the devices for esketamine) and the session goes on in monitoring,
    with vitals, alerts and the normal discharge gates. After dosing has ended there is nothing to
    stop: the patient is monitored to discharge, or transferred out (`do_transfer_out`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason", "Give the reason for ending the session.")
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _require(
            session,
            SessionStatus.CHECKED_IN,
            SessionStatus.PRE_DOSE,
            SessionStatus.DOSING,
            SessionStatus.MONITORING,
            SessionStatus.READY,
            field="reason",
        )
        if session.status in (SessionStatus.MONITORING, SessionStatus.READY):
            raise ActionError(
                "reason",
                "Dosing has already ended: the patient is monitored until discharge. To end "
                "the session without discharge, record an emergency transfer out.",
            )
        if session.status == SessionStatus.DOSING and drug_given(session):
            reason = meaningful_reason("reason", reason, "Stopping the dosing")
            detail = _stop_dosing(actor, session, reason, given_mg, now)
            session.status = SessionStatus.MONITORING
            refresh_ready(session, now)
            session.save()
            _audit(actor, session, "dosing_stopped", {"reason": reason, **detail})
            return session
        if session.status == SessionStatus.DOSING:  # esketamine, no device taken: none given
            _stop_dosing(actor, session, reason, None, now)
            session.observation_started_at = None
        session.status = SessionStatus.ABORTED
        session.ended_at, session.ended_by_id, session.end_reason = now, actor.user_id, reason
        session.save()
        _audit(actor, session, "aborted", {"reason": reason})
    return session


def do_transfer_out(
    actor: Actor, session: TreatmentSession, reason: str, given_mg: Any = None
) -> TreatmentSession:
    """The session ends without discharge after a drug was given: the patient leaves for
    emergency care (e.g. to the ED by ambulance). A nurse or a prescriber of the clinic records
    it with the reason; dosing still running is stopped first (as `do_stop_session`)."""
    reason = meaningful_reason("reason", reason, "The transfer out")
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _require(
            session,
            SessionStatus.DOSING,
            SessionStatus.MONITORING,
            SessionStatus.READY,
            field="reason",
        )
        if not drug_given(session):
            raise ActionError("reason", "No drug has been given: abort the session instead.")
        if not _has_role(actor, session.clinic_id, Role.NURSE, Role.PRESCRIBER):
            raise ActionError(
                "reason", "Only a nurse or a prescriber of the clinic records a transfer out."
            )
        detail: dict[str, str] = {}
        if session.status == SessionStatus.DOSING:
            detail = _stop_dosing(actor, session, f"Transferred out: {reason}", given_mg, now)
        session.status = SessionStatus.TRANSFERRED
        session.ended_at, session.ended_by_id, session.end_reason = now, actor.user_id, reason
        session.save()
        Appointment.objects.filter(pk=session.appointment_id).update(
            status=AppointmentStatus.COMPLETED, updated_at=now
        )
        _audit(actor, session, "transferred_out", {"reason": reason, **detail})
    return session
