"""The REMS Patient Monitoring Form, generated from an esketamine session's record.

Source: shared/reference/clinical.md §6d [REMS] S7, S8: complete after every outpatient
SPRAVATO session and submit within 7 calendar days (online or by fax). Every field §6d lists is
one `FormField` below, in the order of the reference; each is read from the record when the
record holds it. Where it does not, the value is `None` ("not recorded") and the field is
editable: staff type it before submission and it is stored in `RemsMonitoringForm.entries`.

Reads only; the writes are in `rems_actions.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from ketacare.clinical.discharge import (
    DischargeInputs,
    discharge_readiness,
    dissociation_resolved,
    minutes_between,
)
from ketacare.clinical.interactions import DEFAULT_DRUG_TABLE, DrugClass
from ketacare.clinical.vitals import VitalSigns, evaluate_reading, pre_dose_hold
from ketacare.evaluations.models import Evaluation, EvaluationStatus, RemsEnrollment
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.models import SexAtBirth
from ketacare.treatments.models import (
    DeviceAdministration,
    PreDoseCheck,
    ReadingPhase,
    ReadingSource,
    SessionStatus,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.models_chair import SideEffect, SideEffectCode
from ketacare.treatments.models_rems import RemsMonitoringForm
from ketacare.treatments.state import (
    clinic_limits,
    current_readings,
    latest_signs,
    picture,
    session_monitoring,
    signs,
)

SUBMIT_WITHIN_DAYS = 7  # calendar days from the treatment date (§6d, S8; vendor guidance)
MIN_MONITORING_MIN = 120  # §6b [LABEL/REMS]
# The label's ~40-minute BP check (§6b, [LABEL] S4): the reading nearest 40 min in this window.
BP_40_TARGET_MIN = 40
BP_40_WINDOW_MIN = (25, 60)
CLOSED = (SessionStatus.DISCHARGED, SessionStatus.STOPPED, SessionStatus.TRANSFERRED)

YES, NO, NA = "Yes", "No", "Not applicable"

# Kinds of input for a field the record lacks.
YESNO, INTEGER, TEXT, BP = "yesno", "integer", "text", "bp"
SERIOUS = "serious_adverse_events"

MED_CLASSES = (
    ("med_benzodiazepine", "Benzodiazepines", DrugClass.BENZODIAZEPINE),
    (
        "med_non_bzd_hypnotic",
        "Non-benzodiazepine sedative-hypnotics",
        DrugClass.NON_BENZODIAZEPINE_HYPNOTIC,
    ),
    ("med_psychostimulant", "Psychostimulants", DrugClass.STIMULANT),
    ("med_maoi", "Monoamine oxidase inhibitors (MAOIs)", DrugClass.MAOI),
)


@dataclass
class FormField:
    code: str
    section: str
    label: str
    kind: str
    value: str | None  # None: not recorded in the session record
    source: str = ""  # where the value came from
    entered: bool = False  # typed by staff on this form
    # Read from a record that may be out of date (the evaluation's medication list): staff may
    # type the answer that holds today, which then replaces it (with the record's in `source`).
    overridable: bool = False

    @property
    def recorded(self) -> bool:
        return self.value is not None

    @property
    def editable(self) -> bool:
        """Fields the record lacks are typed on the form (also once typed, until submitted),
        and so are those read from a record that may be out of date."""
        return self.value is None or self.entered or self.overridable


@dataclass
class RemsForm:
    session: TreatmentSession
    record: RemsMonitoringForm | None
    treatment_date: date
    due_on: date
    fields: list[FormField] = field(default_factory=list)

    @property
    def submitted(self) -> bool:
        return self.record is not None and self.record.is_submitted

    @property
    def missing(self) -> list[FormField]:
        return [f for f in self.fields if f.value is None]

    @property
    def sections(self) -> list[tuple[str, list[FormField]]]:
        out: dict[str, list[FormField]] = {}
        for f in self.fields:
            out.setdefault(f.section, []).append(f)
        return list(out.items())

    def by_code(self) -> dict[str, FormField]:
        return {f.code: f for f in self.fields}


def is_rems_session(session: TreatmentSession) -> bool:
    """A form is owed for every esketamine session in which a device was taken. A session
    stopped after the dose was set but before the first device gave no SPRAVATO: there is no
    monitoring to report, and (aborted) it could never be submitted."""
    return (
        session.is_esketamine
        and session.dosing_started_at is not None
        and DeviceAdministration.objects.filter(dose__session=session).exists()
    )


def treatment_date(session: TreatmentSession) -> date:
    when = session.observation_started_at or session.dosing_started_at or session.checked_in_at
    assert when is not None
    return when.astimezone(clinic_zone(session.clinic)).date()


def due_on(session: TreatmentSession) -> date:
    return treatment_date(session) + timedelta(days=SUBMIT_WITHIN_DAYS)


def form_status(form: RemsForm, today: date) -> str:
    if form.submitted:
        return "submitted"
    if today > form.due_on:
        return "overdue"
    return "due"


# --- reading the record ---------------------------------------------------------------------


def _yn(flag: bool) -> str:
    return YES if flag else NO


def _hhmm(session: TreatmentSession, when: datetime) -> str:
    return f"{when.astimezone(clinic_zone(session.clinic)):%H:%M}"


def _who(user: Any) -> str:
    if user is None:
        return ""
    return str(user.display_name)  # the name with its credentials ("Sam Okafor, RN")


def _patient_fields(session: TreatmentSession) -> list[FormField]:
    p = session.patient
    # An earlier treatment is an earlier session in which a device was taken (as for
    # `is_rems_session`): a visit stopped before the first device gave no SPRAVATO.
    earlier = (
        TreatmentSession.objects.filter(
            patient=p,
            route=session.route,
            dosing_started_at__isnull=False,
            dosing_started_at__lt=session.dosing_started_at,
        )
        .filter(Exists(DeviceAdministration.objects.filter(dose__session=OuterRef("pk"))))
        .exclude(pk=session.pk)
        .exists()
    )
    enrolment = RemsEnrollment.objects.filter(patient=p).first()
    enrolled: str | None = YES if enrolment else None
    enrolled_source = (
        f"REMS patient ID {enrolment.rems_patient_id}, enrolled {enrolment.enrolled_on:%Y-%m-%d}"
        if enrolment
        else ""
    )
    if enrolment is not None and enrolment.enrolled_on > treatment_date(session):
        # Enrolment comes before the first dose (§2c): a later date is not "enrolled" on the
        # day of this treatment; someone checks it (a mistyped date, or a dose without it).
        enrolled = None
        enrolled_source += ", after this treatment: check the enrolment date."
    # "Unknown / not recorded" on the chart is not an answer the form can carry: staff type it.
    sex_recorded = p.sex_at_birth not in ("", SexAtBirth.UNKNOWN)
    section = "Patient"
    return [
        FormField("patient_name", section, "Patient name", TEXT, p.display_name, "Chart"),
        FormField(
            "birth_date", section, "Date of birth", TEXT, f"{p.birth_date:%Y-%m-%d}", "Chart"
        ),
        FormField(
            "sex",
            section,
            "Sex",
            TEXT,
            p.get_sex_at_birth_display() if sex_recorded else None,
            "Chart (sex at birth)" if sex_recorded else "Sex at birth not recorded on the chart",
        ),
        FormField(
            "first_treatment",
            section,
            "First SPRAVATO treatment?",
            YESNO,
            _yn(not earlier),
            "No earlier esketamine session on the chart"
            if not earlier
            else "Earlier esketamine sessions on the chart",
        ),
        FormField(
            "rems_enrolled",
            section,
            "Enrolled in the SPRAVATO REMS?",
            YESNO,
            enrolled,
            enrolled_source,
        ),
    ]


def _medication_fields(session: TreatmentSession) -> list[FormField]:
    evaluation = (
        Evaluation.objects.filter(patient=session.patient, status=EvaluationStatus.SIGNED)
        .order_by("-signed_at", "-pk")
        .first()
    )
    classes: dict[DrugClass, list[str]] = {}
    if evaluation is not None:
        for med in evaluation.medications.all():
            if med.drug_class:
                found = {DrugClass(med.drug_class)}
            else:
                found = {e.drug_class for e in DEFAULT_DRUG_TABLE.lookup(med.name)}
            for cls in found:
                classes.setdefault(cls, []).append(med.name)
    change = (
        PreDoseCheck.objects.filter(session=session, code="medication_changes")
        .order_by("-at", "-pk")
        .first()
    )
    changed = change is not None and bool(change.note.strip())
    note = f" Pre-dose review: “{change.note}”." if changed and change is not None else ""
    out = []
    for code, label, cls in MED_CLASSES:
        if evaluation is None:
            out.append(FormField(code, "Concomitant medications", label, YESNO, None))
            continue
        names = classes.get(cls, [])
        signed = f" signed {evaluation.signed_at:%Y-%m-%d}" if evaluation.signed_at else ""
        source = f"Medication list of the evaluation{signed}"
        source += f": {', '.join(names)}." if names else ": none of this class."
        if changed:
            # The list predates a change the nurse noted today: someone must answer for today.
            value = None
            source += " The pre-dose review noted a change; confirm this class." + note
        else:
            value = _yn(bool(names))
        out.append(
            FormField(
                code, "Concomitant medications", label, YESNO, value, source, overridable=True
            )
        )
    return out


def _setting_fields(session: TreatmentSession, readings: list[VitalReading]) -> list[FormField]:
    during = [r for r in readings if r.phase == ReadingPhase.DURING]
    # A monitor's reading is stored under the gateway token's user, who watched nobody: only
    # readings typed by staff say who monitored the patient.
    typed = [r for r in during if r.source != ReadingSource.DEVICE]
    counts: dict[int, int] = {}
    people: dict[int, Any] = {}
    for r in typed:
        if r.recorded_by_id is not None:
            counts[r.recorded_by_id] = counts.get(r.recorded_by_id, 0) + 1
            people[r.recorded_by_id] = r.recorded_by
    monitor = people[max(counts, key=lambda k: counts[k])] if counts else None
    chair = session.appointment.resource.name if session.appointment.resource else ""
    clinic = session.clinic
    setting = f"{clinic.name} (outpatient healthcare setting)"
    if clinic.phone:
        setting += f", tel. {clinic.phone}"
    if chair:
        setting += f"; {chair}"
    return [
        FormField(
            "monitoring_hcp",
            "Monitoring",
            "Healthcare provider who monitored the patient",
            TEXT,
            _who(monitor) if monitor else None,
            f"Recorded {counts[monitor.pk]} of the {len(typed)} readings typed by staff "
            "after dosing (monitor readings not counted)"
            if monitor
            else "No reading after dosing was typed by staff (monitor readings name no one)",
        ),
        FormField("setting", "Monitoring", "Healthcare setting", TEXT, setting, "Clinic record"),
    ]


def _treatment_fields(session: TreatmentSession) -> list[FormField]:
    dose = getattr(session, "dose", None)
    section = "Treatment"
    given = None
    if dose is not None:
        mg = dose.given_mg.normalize()
        given = f"{mg:f} mg" if mg in (56, 84) else f"Other: {mg:f} mg"
    return [
        FormField(
            "treatment_date",
            section,
            "Treatment date",
            TEXT,
            f"{treatment_date(session):%Y-%m-%d}",
            "First device",
        ),
        FormField(
            "dose",
            section,
            "Dose (56 mg / 84 mg / other)",
            TEXT,
            given,
            f"{dose.devices.count()} device(s) recorded" if dose is not None else "",
        ),
        FormField(
            "lot_number",
            section,
            "Lot number",
            TEXT,
            dose.lot_number if dose is not None and dose.lot_number else None,
            f"Dose record (expiry {dose.expiry:%Y-%m-%d})" if dose is not None else "",
        ),
    ]


def _end_of_monitoring(session: TreatmentSession) -> datetime | None:
    return session.discharged_at or session.ended_at


def clinically_ready_at(session: TreatmentSession, readings: list[VitalReading]) -> datetime | None:
    """When the patient was clinically fit to leave, the 2-hour rule aside (§6d's REMS
    evaluation question): the first reading of the final stretch in which every reading met
    the discharge criteria other than time and escort, or later if an alert of the stay was
    acknowledged later. None while no such stretch exists, or while an alert of the stay was
    not acknowledged before the patient left."""
    during_idx = [i for i, r in enumerate(readings) if r.phase == ReadingPhase.DURING]
    monitoring = session_monitoring(session)
    ready_from: VitalReading | None = None
    for i in during_idx:
        pic = picture(readings[: i + 1])
        decision = discharge_readiness(
            DischargeInputs(
                now=readings[i].taken_at,
                observation_started_at=session.observation_started_at,
                min_observation_min=0,
                esketamine=True,
                latest_vitals=pic.latest_vitals,
                baseline_vitals=signs(pic.baseline),
                latest_moaas=pic.latest_moaas,
                baseline_moaas=pic.baseline.moaas if pic.baseline else None,
                latest_cadss6=pic.latest_cadss6,
                open_alerts=0,
                escort_confirmed=True,
                limits=monitoring.limits,
                dissociation_resolved_at_or_below=monitoring.dissociation_resolved_at_or_below,
                baseline_cadss6=pic.baseline.cadss6 if pic.baseline else None,
            )
        )
        if not decision.allowed:
            ready_from = None
        elif ready_from is None:
            ready_from = readings[i]
    if ready_from is None:
        return None
    # An alert open at any time of the stay (a reading's, a side effect's such as vomiting at
    # 70 minutes) keeps the patient from being ready until it was acknowledged, even when it
    # came after the readings were back in range. One never acknowledged before the patient
    # left leaves the time for staff to give.
    end = _end_of_monitoring(session)
    alerts = session.alerts.all() if end is None else session.alerts.filter(raised_at__lte=end)
    acks = []
    for alert in alerts:
        if alert.acknowledged_at is None or (end is not None and alert.acknowledged_at > end):
            return None
        acks.append(alert.acknowledged_at)
    return max([ready_from.taken_at, *acks])


def _time_fields(session: TreatmentSession, readings: list[VitalReading]) -> list[FormField]:
    start = session.observation_started_at
    end = _end_of_monitoring(session)
    total = minutes_between(start, end) if start and end else None
    ready_at = clinically_ready_at(session, readings) if start else None
    ready = max(minutes_between(start, ready_at), 0) if start and ready_at else None
    section = "Monitoring time"
    return [
        FormField(
            "total_minutes",
            section,
            "Total minutes from the first device to the end of monitoring (at least 120)",
            INTEGER,
            str(total) if total is not None else None,
            f"First device {_hhmm(session, start)} → "
            f"{'discharge' if session.discharged_at else 'end'} {_hhmm(session, end)}"
            if start and end
            else "",
        ),
        FormField(
            "ready_minutes",
            section,
            "REMS evaluation: minutes after the first device when the patient would have been "
            "ready to leave, were it not for the 2-hour rule",
            INTEGER,
            str(ready) if ready is not None else None,
            f"Vitals, MOAA/S and CADSS-6 met the discharge criteria from {_hhmm(session, ready_at)}"
            if ready_at
            else "",
        ),
    ]


def _bp_text(r: VitalReading, session: TreatmentSession, minutes: int | None = None) -> str:
    when = _hhmm(session, r.taken_at)
    after = f", {minutes} min after the first device" if minutes is not None else ""
    return f"{r.systolic_mmhg}/{r.diastolic_mmhg} mmHg at {when}{after}"


def _signs_text(v: VitalSigns) -> str:
    parts = []
    if v.systolic_mmhg is not None:
        parts.append(f"BP {v.systolic_mmhg}/{v.diastolic_mmhg}")
    if v.heart_rate_bpm is not None:
        parts.append(f"HR {v.heart_rate_bpm}/min")
    if v.spo2_pct is not None:
        parts.append(f"SpO₂ {v.spo2_pct} %")
    if v.resp_rate_per_min is not None:
        parts.append(f"RR {v.resp_rate_per_min}/min")
    if v.temperature_c is not None:
        parts.append(f"T {v.temperature_c} °C")
    return ", ".join(parts)


def _vital_fields(session: TreatmentSession, readings: list[VitalReading]) -> list[FormField]:
    limits = clinic_limits(session)
    pre = [r for r in readings if r.phase == ReadingPhase.PRE_DOSE]
    during = [r for r in readings if r.phase == ReadingPhase.DURING]
    baseline = pre[-1] if pre else None
    bps = [r for r in during if r.systolic_mmhg is not None]
    start = session.observation_started_at
    section = "Vital signs"
    # Acceptable before administration: the pre-dose vital signs, judged as the checks judged
    # them (`pre_dose_hold`, the session's limits). A hold for something else (a medication
    # class changed, a pregnancy test) says nothing about the vital signs.
    if baseline is None:
        pre_ok: str | None = None
        pre_source = ""
    else:
        hold = pre_dose_hold(signs(baseline) or VitalSigns(), limits)
        if hold.ok:
            pre_ok, pre_source = YES, "Pre-dose vitals within the clinic's limits"
            if session.on_hold:
                pre_source += " (the pre-dose hold was for other reasons)"
        else:
            pre_ok = NO
            pre_source = "Pre-dose hold: " + " ".join(hold.reasons)
            if session.hold_cleared_at:
                pre_source += (
                    f" Prescriber decided to proceed ({_who(session.hold_cleared_by)}): "
                    f"{session.hold_decision_note}"
                )
    last_bp = bps[-1] if bps else None
    # Acceptable before completing: the picture discharge judged (`latest_signs`), the newest
    # value of every sign, with the baseline for the rise-from-baseline rules. The newest
    # reading with a BP alone would miss a later SpO2, and keep a heart rate rechecked since.
    end_ok: str | None = None
    end_source = ""
    latest = latest_signs(during)
    if latest is not None and session.status in CLOSED:
        problems = evaluate_reading(latest, limits, signs(baseline))
        lacking = [
            name
            for name, value in (("blood pressure", latest.systolic_mmhg), ("SpO₂", latest.spo2_pct))
            if value is None
        ]
        if problems:
            end_ok = NO
            end_source = "; ".join(a.message for a in problems)
        elif lacking:
            # Nothing out of range, but not the whole picture: staff answer.
            end_source = f"No {' or '.join(lacking)} recorded after dosing"
        else:
            end_ok = YES
            end_source = f"Latest vitals within the clinic's limits: {_signs_text(latest)}"
    bp40: VitalReading | None = None
    bp40_min = None
    if start is not None:
        low, high = BP_40_WINDOW_MIN
        near = [
            (abs(minutes_between(start, r.taken_at) - BP_40_TARGET_MIN), r)
            for r in bps
            if low <= minutes_between(start, r.taken_at) <= high
        ]
        if near:
            bp40 = min(near, key=lambda t: (t[0], t[1].taken_at))[1]
            bp40_min = minutes_between(start, bp40.taken_at)
    return [
        FormField(
            "vitals_ok_pre",
            section,
            "Vital signs acceptable before administration?",
            YESNO,
            pre_ok,
            pre_source,
        ),
        FormField(
            "vitals_ok_end",
            section,
            "Vital signs acceptable before completing the session?",
            YESNO,
            end_ok,
            end_source,
        ),
        FormField(
            "bp_pre",
            section,
            "Blood pressure before dosing",
            BP,
            _bp_text(baseline, session)
            if baseline is not None and baseline.systolic_mmhg is not None
            else None,
            "Pre-dose reading",
        ),
        FormField(
            "bp_40",
            section,
            "Blood pressure about 40 minutes after dosing",
            BP,
            _bp_text(bp40, session, bp40_min) if bp40 is not None else None,
            f"Reading nearest 40 min ({BP_40_WINDOW_MIN[0]}–{BP_40_WINDOW_MIN[1]} min window)"
            if bp40 is not None
            else f"No reading {BP_40_WINDOW_MIN[0]}–{BP_40_WINDOW_MIN[1]} min "
            "after the first device",
        ),
        FormField(
            "bp_discharge",
            section,
            "Blood pressure before discharge",
            BP,
            _bp_text(last_bp, session)
            if last_bp is not None and session.status in CLOSED
            else None,
            "Last reading of the session",
        ),
    ]


def _observed_fields(session: TreatmentSession, readings: list[VitalReading]) -> list[FormField]:
    monitoring = session_monitoring(session)
    limits = monitoring.limits
    resolved_at = monitoring.dissociation_resolved_at_or_below
    pre = [r for r in readings if r.phase == ReadingPhase.PRE_DOSE]
    during = [r for r in readings if r.phase == ReadingPhase.DURING]
    closed = session.status in CLOSED
    baseline_moaas = next((r.moaas for r in reversed(pre) if r.moaas is not None), None)
    target = min(baseline_moaas if baseline_moaas is not None else 5, 5)
    section = "Adverse effects observed"
    effects = list(
        session.side_effects.filter(entered_in_error_at__isnull=True).order_by("onset_at", "pk")
    )
    out: list[FormField] = []

    def pair(
        code: str, what: str, scores: list[int], bad: Any, ok: Any, how: str, noted: str = ""
    ) -> None:
        """`noted`: the side effect recorded at the chair (observed, whatever the scores)."""
        if not scores:
            out.append(
                FormField(
                    f"{code}_observed",
                    section,
                    f"{what} observed?",
                    YESNO,
                    YES if noted else None,
                    noted,
                )
            )
            out.append(FormField(f"{code}_resolved", section, f"{what} resolved?", YESNO, None))
            return
        seen = bool(noted) or any(bad(s) for s in scores)
        how = f"{noted}; {how}" if noted else how
        out.append(
            FormField(f"{code}_observed", section, f"{what} observed?", YESNO, _yn(seen), how)
        )
        if not seen:
            resolved: str | None = NA
        elif not closed:
            resolved = None
        else:
            resolved = _yn(ok(scores[-1]))
        out.append(
            FormField(
                f"{code}_resolved",
                section,
                f"{what} resolved?",
                YESNO,
                resolved,
                f"Last value {scores[-1]}" if seen and closed else "",
            )
        )

    moaas = [r.moaas for r in during if r.moaas is not None]
    pair(
        "sedation",
        "Sedation",
        moaas,
        lambda s: s < target,
        lambda s: s >= target,
        f"MOAA/S after dosing: lowest {min(moaas)} (pre-dose {target})" if moaas else "",
    )
    cadss = [r.cadss6 for r in during if r.cadss6 is not None]
    baseline_cadss = next((r.cadss6 for r in reversed(pre) if r.cadss6 is not None), None)
    pair(
        "dissociation",
        "Dissociation",
        cadss,
        lambda s: s > 0,
        # The clinic's threshold or back to the pre-dose score: what discharge judged by.
        lambda s: dissociation_resolved(s, baseline_cadss, resolved_at),
        f"CADSS-6 after dosing: highest {max(cadss)} (resolved at ≤ {resolved_at}"
        + (f" or the pre-dose {baseline_cadss})" if baseline_cadss is not None else ")")
        if cadss
        else "",
        _noted(session, effects, SideEffectCode.DISSOCIATION),
    )
    # Respiratory depression: SpO2 or RR below the clinic's limits.
    resp = [
        (r.spo2_pct, r.resp_rate_per_min)
        for r in during
        if r.spo2_pct is not None or r.resp_rate_per_min is not None
    ]

    def depressed(v: tuple[int | None, int | None]) -> bool:
        spo2, rr = v
        return (spo2 is not None and spo2 < limits.spo2_min) or (
            rr is not None and rr < limits.resp_rate_min
        )

    codes = list(range(len(resp)))
    pair(
        "respiratory",
        "Respiratory depression",
        codes,
        lambda i: depressed(resp[i]),
        lambda i: not depressed(resp[i]),
        f"SpO₂ < {limits.spo2_min} % or RR < {limits.resp_rate_min}/min in any reading",
        _noted(session, effects, SideEffectCode.RESP_DEPRESSION),
    )
    if out[-1].source.startswith("Last value"):
        spo2, rr = resp[-1]
        out[-1].source = f"Last SpO₂ {spo2 if spo2 is not None else '—'} %, RR {rr or '—'}/min"
    spo2s = [r.spo2_pct for r in readings if r.spo2_pct is not None]
    out.append(
        FormField(
            "pulse_oximetry",
            section,
            "Pulse oximetry monitored?",
            YESNO,
            YES if spo2s else None,
            f"{len(spo2s)} SpO₂ reading(s), lowest {min(spo2s)} %" if spo2s else "",
        )
    )
    out.append(_serious_field(session, effects, section))
    return out


def _effect_text(session: TreatmentSession, e: SideEffect) -> str:
    text = f"{e.label} ({e.get_severity_display().lower()}) at {_hhmm(session, e.onset_at)}"
    if e.intervention_drug:
        text += f", treated with {e.intervention_drug} {e.intervention_dose}"
    return text


def _noted(session: TreatmentSession, effects: list[SideEffect], code: str) -> str:
    found = [e for e in effects if e.code == code]
    if not found:
        return ""
    return "Side effect recorded at the chair: " + ", ".join(
        f"{e.get_severity_display().lower()} at {_hhmm(session, e.onset_at)}" for e in found
    )


def serious_events(session: TreatmentSession, effects: list[SideEffect] | None = None) -> list[str]:
    """The serious adverse events the session record holds: a side effect recorded serious
    (severe, or respiratory depression) or a transfer out for emergency care."""
    if effects is None:
        effects = list(
            session.side_effects.filter(entered_in_error_at__isnull=True).order_by("onset_at", "pk")
        )
    serious = [_effect_text(session, e) for e in effects if e.serious]
    if session.status == SessionStatus.TRANSFERRED:
        serious.append(f"Transferred out for emergency care: {session.end_reason}")
    return serious


def says_yes(text: str) -> bool:
    return text.strip().lower().startswith("yes")


def _serious_field(session: TreatmentSession, effects: list[SideEffect], section: str) -> FormField:
    """Serious when the chair recorded it so (severe, or respiratory depression, as the alert
    and the FHIR AdverseEvent judge it) or the patient left for emergency care. Otherwise staff
    answer (the record cannot prove an absence); either way the side effects recorded are shown."""
    serious = serious_events(session, effects)
    others = [_effect_text(session, e) for e in effects if not e.serious]
    seen = f"Side effects recorded: {'; '.join(others)}." if others else ""
    label = "Serious adverse events during the session? (if yes, describe)"
    if serious:
        return FormField(
            "serious_adverse_events",
            section,
            label,
            TEXT,
            f"{YES}: " + "; ".join(serious),
            "Session record" + (f". {seen}" if seen else ""),
            overridable=True,
        )
    return FormField(
        "serious_adverse_events",
        section,
        label,
        TEXT,
        None,
        seen or "No side effect recorded at the chair",
    )


def build_form(session: TreatmentSession, record: RemsMonitoringForm | None = None) -> RemsForm:
    """Every §6d field, from the record; staff entries fill what it lacks."""
    if record is None:
        record = RemsMonitoringForm.objects.filter(session=session).first()
    form = RemsForm(session, record, treatment_date(session), due_on(session))
    if record is not None and record.is_submitted and record.submitted_fields:
        form.fields = [FormField(**f) for f in record.submitted_fields]
        return form
    readings = current_readings(session)
    form.fields = [
        *_patient_fields(session),
        *_medication_fields(session),
        *_setting_fields(session, readings),
        *_treatment_fields(session),
        *_time_fields(session, readings),
        *_vital_fields(session, readings),
        *_observed_fields(session, readings),
    ]
    entries = record.entries if record is not None else {}
    for f in form.fields:
        typed = entries.get(f.code)
        if typed in (None, ""):
            continue
        if f.value is None:
            f.value, f.entered, f.source = str(typed), True, "Entered on this form"
        elif f.code == SERIOUS and f.value.startswith(YES) and not says_yes(str(typed)):
            # Typed before the event was recorded, or against it: the record's "Yes" stands.
            f.source += f". “{typed}” typed on this form is contradicted by the record."
        elif f.overridable:
            was = f"{f.source} (said {f.value})" if f.source else f"the record said {f.value}"
            f.value, f.entered, f.source = str(typed), True, f"Entered on this form; {was}"
    return form


def snapshot(form: RemsForm) -> list[dict[str, Any]]:
    return [
        {
            "code": f.code,
            "section": f.section,
            "label": f.label,
            "kind": f.kind,
            "value": f.value,
            "source": f.source,
            "entered": f.entered,
            "overridable": f.overridable,
        }
        for f in form.fields
    ]


# --- the clinic list ------------------------------------------------------------------------


def owed_sessions(clinic: Any) -> QuerySet[TreatmentSession]:
    """Esketamine sessions of the clinic, a device taken, whose form is not submitted yet.
    A session not closed yet owes its form too: the 7 days run from the treatment date, so a
    session left open (never discharged) must show up overdue, not drop off the list."""
    return (
        TreatmentSession.objects.filter(
            clinic=clinic,
            route="esketamine_nasal",
            dosing_started_at__isnull=False,
        )
        .filter(Exists(DeviceAdministration.objects.filter(dose__session=OuterRef("pk"))))
        .exclude(rems_form__submitted_at__isnull=False)
        .select_related("patient", "clinic", "rems_form", "discharged_by")
        .order_by("dosing_started_at")
    )


@dataclass(frozen=True)
class ListRow:
    session: TreatmentSession
    treatment_date: date
    due_on: date
    days_left: int
    status: str
    started: bool  # some fields already typed
    closed: bool = True  # the session is discharged or ended (else it cannot be submitted yet)

    @property
    def days_late(self) -> int:
        return max(-self.days_left, 0)


def clinic_rows(clinic: Any, within_days: int = SUBMIT_WITHIN_DAYS) -> list[ListRow]:
    """Forms overdue, then due within `within_days`, soonest deadline first."""
    today = clinic_today(clinic)
    rows = []
    for s in owed_sessions(clinic):
        due = due_on(s)
        left = (due - today).days
        if left > within_days:
            continue
        record = getattr(s, "rems_form", None)
        rows.append(
            ListRow(
                s,
                treatment_date(s),
                due,
                left,
                "overdue" if left < 0 else "due",
                bool(record and record.entries),
                s.status in CLOSED,
            )
        )
    rows.sort(key=lambda r: (r.due_on, r.session.pk))
    return rows
