"""Racemic ketamine protocols of the default library (off-label: IV for depression, PTSD and
CRPS; IM; oral and sublingual), clinical.md §7, §8, §15."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from ketacare.clinical.eligibility.inputs import Indication
from ketacare.clinical.findings import Route, Tag
from ketacare.clinical.protocols._common import (
    DAILY,
    DEFAULT_BASIS,
    EVERY_2_WEEKS,
    GAP_2_3_PER_WEEK_H,
    GAP_DAILY_H,
    GAP_SOURCE,
    GAP_WEEKLY_H,
    THRICE_WEEKLY,
    TWICE_WEEKLY,
    WEEKLY,
    C,
)
from ketacare.clinical.protocols.model import (
    DoseKind,
    DoseRule,
    Frequency,
    MonitoringProfile,
    ObservationStart,
    Phase,
    PhaseKind,
    Protocol,
    ReviewPoint,
    StopRule,
)

# ---------------------------------------------------------------------------------------------
# IV racemic ketamine (off-label) — clinical.md §7, §15
# ---------------------------------------------------------------------------------------------

IV_MONITORING = MonitoringProfile(
    # BP every 10 min during the infusion and every 15 min after (Emory protocol,
    # [EVIDENCE] S37; §7e).
    vitals_interval_during_min=10,
    vitals_interval_after_min=15,
    # Baseline, and the 40-min peak of SBP/DBP (Yale, 2,342 infusions, [EVIDENCE] S37; §7e).
    bp_check_times_min=(0, 40),
    # "~2 h post-infusion observation capacity" ([PRACTICE], weak source; §11). No label rule
    # for racemic ketamine: a clinic setting.
    min_observation_min=120,
    observation_from=ObservationStart.END_OF_INFUSION,
    required_checks=(
        # Continuous assessment of respiratory, cardiovascular and mental status during the
        # infusion ([GUIDELINE via secondary] S20; §7e); SpO2 monitoring equipment ([PRACTICE]
        # §19).
        C.PULSE_OXIMETRY,
        # MOAA/S and CADSS before, at ~40 min and before discharge ([PRACTICE] §10).
        C.SEDATION_DISSOCIATION,
        # Release to a responsible adult, no driving ~24 h ([PRACTICE] P7; §11).
        C.RESPONSIBLE_ADULT_ESCORT,
    ),
    notes=(
        "Vital signs outside the clinic's thresholds: repeat (the clinic's repeat time, 5 min by "
        "default), pause/stop and notify "
        "the prescriber, document an override to resume, escalate if symptomatic "
        "([PRACTICE] §9).",
    ),
    source="clinical.md §7e, §9-§11, §19; S20, S37, P7",
    tag=Tag.EVIDENCE,
)

IV_DEPRESSION_DOSE = DoseRule(
    kind=DoseKind.MG_PER_KG,
    # 0.5 mg/kg over 40 min: the dose nearly all trials used ([EVIDENCE/GUIDELINE] S36, S30,
    # S34; §7a).
    value=D("0.5"),
    duration_min=40,
    weight_basis=DEFAULT_BASIS,
    # Titration: ASKP3 start 0.5-1 mg/kg, escalation may be needed ([GUIDELINE] S21); reported
    # dose-response range 0.1-0.75 mg/kg ([EVIDENCE] S36; §7a). Steps of 0.25 are [PRACTICE].
    steps=(D("0.25"), D("0.5"), D("0.75"), D(1)),
    notes=(
        "Prescribe the minimum dose that achieves the clinical goal ([GUIDELINE] S22; §7a).",
        "ASKP3: infusion over 40–60 min ([GUIDELINE] S21; §7a).",
    ),
    source="clinical.md §7a; S21, S22, S30, S34, S36",
    tag=Tag.EVIDENCE,
)

IV_DEPRESSION = Protocol(
    code="iv_ketamine_depression",
    name="IV racemic ketamine for depression (off-label)",
    version=1,
    route=Route.IV_RACEMIC,
    indication=Indication.TRD,
    dose=IV_DEPRESSION_DOSE,
    phases=(
        Phase(
            code="induction",
            kind=PhaseKind.INDUCTION,
            label="Induction",
            # 6 infusions over ~2-3 weeks, 2-3 per week: 3x/week over 12 days (S30), 3x/week
            # over 2 weeks (S32), 2x/week for 3 weeks (S34); 2x and 3x similar (S31)
            # ([EVIDENCE] §7b).
            frequencies=(TWICE_WEEKLY, THRICE_WEEKLY),
            sessions=6,
            weeks=(2, 3),
            min_interval_hours=GAP_2_3_PER_WEEK_H,
            interval_source=GAP_SOURCE,
            source="clinical.md §7b; S30, S31, S32, S34",
            tag=Tag.EVIDENCE,
        ),
        Phase(
            code="maintenance",
            kind=PhaseKind.MAINTENANCE,
            label="Maintenance",
            # Once-weekly infusions for 4 weeks kept MADRS stable in responders ([EVIDENCE]
            # S32; §7d). Median relapse 18 days after the last infusion (S30).
            frequencies=(WEEKLY,),
            sessions=4,
            weeks=(4, 4),
            min_interval_hours=GAP_WEEKLY_H,
            interval_source=GAP_SOURCE,
            source="clinical.md §7d; S30, S32, S36",
            tag=Tag.EVIDENCE,
        ),
        Phase(
            code="taper",
            kind=PhaseKind.TAPER,
            label="Taper",
            # Weekly -> every 2 -> every 4 weeks: [PRACTICE], no controlled evidence (§7d).
            frequencies=(EVERY_2_WEEKS, Frequency(1, 28)),
            min_interval_hours=GAP_WEEKLY_H,
            interval_source=GAP_SOURCE,
            source="clinical.md §7d (nyketamine.com)",
            tag=Tag.PRACTICE,
        ),
    ),
    monitoring=IV_MONITORING,
    review_points=(
        ReviewPoint(
            code="early_signal",
            # 4 h after the first dose: 4-h response predicted end response (S30; §7b, §12).
            after_session=1,
            hours_after=4,
            scale="madrs",
            what="Early signal: a 4-h response predicted the end-of-course response.",
            source="clinical.md §7b, §12; S30",
            tag=Tag.EVIDENCE,
        ),
        ReviewPoint(
            code="non_response_check",
            # 24 h after infusion 4: the S33 stop signal ([EVIDENCE] §7c, §13).
            after_session=4,
            hours_after=24,
            scale="madrs",
            what="Improvement of at least 20% from baseline? If not, review or stop (§7c).",
            source="clinical.md §7c, §13; S33",
            tag=Tag.EVIDENCE,
        ),
        ReviewPoint(
            code="end_of_induction",
            # 24 h after each induction dose and at the end of induction (§12 cadence).
            after_session=6,
            hours_after=24,
            scale="madrs",
            what="Response (≥50%) or remission? Plan maintenance or psychotherapy (§7d, §13).",
            source="clinical.md §12, §13; S30, S32, S45",
            tag=Tag.EVIDENCE,
        ),
    ),
    stop_rule=StopRule(
        # No >= 20% MADRS improvement 24 h after infusion 4 predicted non-response with >90%
        # sensitivity; further infusions gave no significant benefit ([EVIDENCE] S33; §7c).
        after_session=4,
        hours_after=24,
        scale="madrs",
        min_improvement_pct=D(20),
        criterion="Less than 20% MADRS improvement from baseline 24 h after infusion 4.",
        action="Review and consider stopping the course.",
        alternative="Or three consecutive non-improvements after infusion 3 (S33).",
        source="clinical.md §7c, §13; S33",
        tag=Tag.EVIDENCE,
    ),
    sources=("S20", "S21", "S22", "S30", "S31", "S32", "S33", "S34", "S36", "S37"),
    tag=Tag.EVIDENCE,
    off_label=True,
    notes=(
        "Off-label in the US: racemic ketamine is approved only for anaesthesia (§1; S14).",
        # A defined course and endpoint ([GUIDELINE] S22; §7c, §13).
        "A therapeutic endpoint and a defined course are required (ASA, S22).",
        "Maintenance frequency is individualised, dosing a little before the effect fades "
        "(S36; §7d).",
    ),
)

PTSD_IV = Protocol(
    code="iv_ketamine_ptsd",
    name="IV racemic ketamine for PTSD (off-label)",
    version=1,
    route=Route.IV_RACEMIC,
    indication=Indication.PTSD,
    dose=DoseRule(
        kind=DoseKind.MG_PER_KG,
        # 0.5 mg/kg over 40 min (Feder 2014, 2021; [EVIDENCE] S41; §15a).
        value=D("0.5"),
        duration_min=40,
        weight_basis=DEFAULT_BASIS,
        # The veterans RCT used 0.2 or 0.5 mg/kg ([EVIDENCE] S41; §15a).
        steps=(D("0.2"), D("0.5")),
        source="clinical.md §15a; S41",
        tag=Tag.EVIDENCE,
    ),
    phases=(
        Phase(
            code="induction",
            kind=PhaseKind.INDUCTION,
            label="Induction",
            # 6 infusions of 0.5 mg/kg over 2 weeks, 3 per week ([EVIDENCE] S41; §15a).
            frequencies=(THRICE_WEEKLY,),
            sessions=6,
            weeks=(2, 2),
            min_interval_hours=GAP_2_3_PER_WEEK_H,
            interval_source=GAP_SOURCE,
            source="clinical.md §15a; S41",
            tag=Tag.EVIDENCE,
        ),
    ),
    monitoring=IV_MONITORING,
    review_points=(
        ReviewPoint(
            code="end_of_induction",
            # Response = >= 30% CAPS-5 reduction (Feder 2021, S41; §12, §15a). CAPS-5 is a
            # clinician interview KetaCare does not administer; the review reads the PCL-5,
            # its self-report counterpart (§15a), rather than falling back to the PHQ-9.
            after_session=6,
            scale="pcl5",
            what="Response (≥30% CAPS-5 reduction; PCL-5 for self-report)?",
            source="clinical.md §12, §15a; S41",
            tag=Tag.EVIDENCE,
        ),
    ),
    # No PTSD-specific non-response rule in shared/reference (the S33 rule is for depression).
    stop_rule=None,
    sources=("S41", "P6"),
    tag=Tag.EVIDENCE,
    off_label=True,
    notes=(
        "Evidence is mixed: a veterans RCT of 8 twice-weekly infusions showed no significant "
        "PTSD benefit (S41; §15a).",
        "Responders stayed improved a median 27.5 days (S41); no maintenance evidence.",
        "Patients may be more distressed during the infusion: plan a calming approach "
        "([PRACTICE] P6).",
    ),
)

CRPS_IV = Protocol(
    code="iv_ketamine_crps",
    name="IV racemic ketamine for complex regional pain syndrome (off-label, outpatient)",
    version=1,
    route=Route.IV_RACEMIC,
    indication=Indication.CHRONIC_PAIN,
    dose=DoseRule(
        kind=DoseKind.MG_PER_KG_PER_HOUR,
        # 0.35 mg/kg/h over 4 h daily for 10 days, max 25 mg/h ([GUIDELINE] S25, S43; §15c).
        value=D("0.35"),
        duration_min=240,
        max_rate_mg_per_h=D(25),
        weight_basis=DEFAULT_BASIS,
        # Infuse >= 2 h with a minimum total ~80 mg for chronic pain ([GUIDELINE via
        # secondary] S43 NCT06916403; §15c): a warning, not a refusal.
        min_dose_mg=D(80),
        notes=(
            "Higher doses, longer infusions and more frequent administration work better and "
            "carry more risk (S25; §15c).",
        ),
        source="clinical.md §15c; S25, S43",
        tag=Tag.GUIDELINE,
    ),
    phases=(
        Phase(
            code="induction",
            kind=PhaseKind.INDUCTION,
            label="Infusion course",
            frequencies=(DAILY,),  # daily for 10 days ([GUIDELINE] S25, S43; §15c)
            sessions=10,
            min_interval_hours=GAP_DAILY_H,
            interval_source=GAP_SOURCE,
            source="clinical.md §15c; S25, S43",
            tag=Tag.GUIDELINE,
        ),
    ),
    monitoring=MonitoringProfile(
        # Continuous ECG, pulse oximetry, NIBP every 15 min (Goldberg 2005, [EVIDENCE/PRACTICE]
        # S43; §15c).
        vitals_interval_during_min=15,
        vitals_interval_after_min=15,  # same cadence after the infusion ([PRACTICE])
        bp_check_times_min=(0,),
        # No CRPS-specific observation time in shared/reference: the §11 practice figure.
        min_observation_min=120,
        observation_from=ObservationStart.END_OF_INFUSION,
        required_checks=(C.CONTINUOUS_ECG, C.PULSE_OXIMETRY, C.RESPONSIBLE_ADULT_ESCORT),
        source="clinical.md §11, §15c; S43, P7",
        tag=Tag.EVIDENCE,
    ),
    review_points=(
        ReviewPoint(
            code="end_of_course",
            # Benefit up to 12 weeks (S25; §15c). Positive-response definition (e.g. >= 30%
            # pain relief) is [UNCONFIRMED] (§12, §20 item 6).
            after_session=10,
            scale="pain_nrs",
            what="Pain relief or functional gain after the course [response definition "
            "UNCONFIRMED]; benefit may last up to 12 weeks.",
            source="clinical.md §12, §15c; S25",
            tag=Tag.GUIDELINE,
        ),
    ),
    stop_rule=None,  # none in shared/reference for pain
    sources=("S25", "S43"),
    tag=Tag.GUIDELINE,
    off_label=True,
    notes=(
        "Alternative: 22 mg/h for 4 days as an inpatient (S25, S43; §15c).",
        "Avoid in severe hepatic impairment, caution in moderate (S25; §14).",
        "No serial infusions with active substance abuse (S25; §14).",
    ),
)

# ---------------------------------------------------------------------------------------------
# IM and oral/sublingual racemic ketamine (off-label, evidence thin) — clinical.md §8
# ---------------------------------------------------------------------------------------------

BOLUS_MONITORING = MonitoringProfile(
    # No route-specific numbers in shared/reference: the IV after-infusion cadence (S37) and
    # the ~2 h observation practice figure (§11), timed from the dose.
    vitals_interval_after_min=15,
    bp_check_times_min=(0, 40),
    min_observation_min=120,
    observation_from=ObservationStart.DOSE_GIVEN,
    required_checks=(C.PULSE_OXIMETRY, C.SEDATION_DISSOCIATION, C.RESPONSIBLE_ADULT_ESCORT),
    source="clinical.md §7e, §8, §10, §11; S37, P7",
    tag=Tag.PRACTICE,
)

IM_DEPRESSION = Protocol(
    code="im_ketamine",
    name="IM racemic ketamine (off-label)",
    version=1,
    route=Route.IM_RACEMIC,
    indication=Indication.TRD,
    dose=DoseRule(
        kind=DoseKind.MG_PER_KG,
        # Bolus IM/SC dosing safe and effective in studies ([EVIDENCE] S36); SC ascending
        # 0.25 -> 0.5 -> 1 mg/kg (S42); KAP study IM up to 0.75 mg/kg (§8). IM-specific default
        # 0.5 mg/kg is [PRACTICE].
        value=D("0.5"),
        steps=(D("0.25"), D("0.5"), D("0.75")),
        weight_basis=DEFAULT_BASIS,
        notes=("KAP study: optional 20–40 mg top-up at 12 min ([EVIDENCE/PRACTICE] §8).",),
        source="clinical.md §8; S36, S42",
        tag=Tag.PRACTICE,
    ),
    phases=(
        Phase(
            code="induction",
            kind=PhaseKind.INDUCTION,
            label="Ascending doses",
            # Weekly ascending doses (SC 0.25 / 0.5 / 1 mg/kg in anxiety, [EVIDENCE] S42; §8,
            # §15b). The IM steps stop at 0.75 mg/kg, the highest IM dose of the KAP study (§8):
            # 1 mg/kg is SC evidence only.
            frequencies=(WEEKLY,),
            sessions=3,
            min_interval_hours=GAP_WEEKLY_H,
            interval_source=GAP_SOURCE,
            source="clinical.md §8, §15b; S42",
            tag=Tag.EVIDENCE,
        ),
        Phase(
            code="maintenance",
            kind=PhaseKind.MAINTENANCE,
            label="Maintenance",
            # Once or twice weekly for 3 months (SC, anxiety; [EVIDENCE] S42; §8, §15b).
            frequencies=(WEEKLY, TWICE_WEEKLY),
            weeks=(12, 12),
            min_interval_hours=GAP_2_3_PER_WEEK_H,
            interval_source=GAP_SOURCE,
            source="clinical.md §8, §15b; S42",
            tag=Tag.EVIDENCE,
        ),
    ),
    monitoring=BOLUS_MONITORING,
    review_points=(
        ReviewPoint(
            code="after_ascending_doses",
            after_session=3,
            what="Effect and tolerability of the ascending doses before maintenance.",
            source="clinical.md §8, §15b; S42",
            tag=Tag.PRACTICE,
        ),
    ),
    stop_rule=None,
    sources=("S36", "S42"),
    tag=Tag.PRACTICE,
    off_label=True,
    notes=(
        "The schedule comes from subcutaneous studies in anxiety (S42); IM dosing beyond small "
        "studies is an open item (§20 item 8).",
    ),
)

TAKE_HOME_WARNING = (
    "FDA warned (Oct 2023) against compounded ketamine at home: no on-site monitoring. Any "
    "take-home plan needs a warning flag and a documented rationale (§1; S15)."
)

# Oral/sublingual doses can be sent home: flag it ([PRACTICE] §1, S15).
TAKE_HOME_MONITORING = replace(
    BOLUS_MONITORING,
    required_checks=(*BOLUS_MONITORING.required_checks, C.TAKE_HOME_RATIONALE),
)

ORAL_DEPRESSION = Protocol(
    code="oral_ketamine",
    name="Oral racemic ketamine (off-label, experimental)",
    version=1,
    route=Route.ORAL_SUBLINGUAL_RACEMIC,
    indication=Indication.TRD,
    dose=DoseRule(
        kind=DoseKind.FIXED_MG,
        # Case series: start 50 mg every 3 days, titrate +25 mg every 3 days ([EVIDENCE] §8).
        value=D(50),
        steps=tuple(D(mg) for mg in range(25, 325, 25)),
        # Reported range 25-300 mg per occasion ([EVIDENCE] S36; §8).
        max_dose_mg=D(300),
        notes=(
            "~2.0–2.5 mg/kg oral ≈ IV 0.5 mg/kg exposure; bioavailability ~20–25% (S36; §8).",
            "RCT alternative: 1 or 2 mg/kg twice weekly for 6 weeks, no dose difference (§8).",
        ),
        source="clinical.md §8; S36",
        tag=Tag.EVIDENCE,
    ),
    phases=(
        Phase(
            code="titration",
            kind=PhaseKind.INDUCTION,
            label="Titration",
            frequencies=(Frequency(1, 3),),  # every 3 days (case series, §8)
            min_interval_hours=72,
            interval_source="every 3 days (case series; clinical.md §8)",
            source="clinical.md §8",
            tag=Tag.EVIDENCE,
        ),
    ),
    monitoring=TAKE_HOME_MONITORING,
    review_points=(),
    stop_rule=None,
    sources=("S15", "S36"),
    tag=Tag.EVIDENCE,
    off_label=True,
    warnings=(TAKE_HOME_WARNING, "The literature is thin; oral use is experimental (S36; §8)."),
)

SUBLINGUAL_DEPRESSION = Protocol(
    code="sublingual_ketamine",
    name="Sublingual racemic ketamine, very low dose (off-label, experimental)",
    version=1,
    route=Route.ORAL_SUBLINGUAL_RACEMIC,
    indication=Indication.TRD,
    dose=DoseRule(
        kind=DoseKind.FIXED_MG,
        # 10 mg (100 mg/mL held 5 min) (case series n=26, [EVIDENCE, weak] §8).
        value=D(10),
        concentration_mg_per_ml=D(100),
        notes=("Hold under the tongue for 5 minutes (§8).",),
        source="clinical.md §8",
        tag=Tag.EVIDENCE,
    ),
    phases=(
        Phase(
            code="ongoing",
            kind=PhaseKind.MAINTENANCE,
            label="Ongoing",
            # Every 2-3 days or weekly (case series, §8).
            frequencies=(Frequency(1, 2), Frequency(1, 3), WEEKLY),
            min_interval_hours=48,
            interval_source="every 2–3 days at most (case series; clinical.md §8)",
            source="clinical.md §8",
            tag=Tag.EVIDENCE,
        ),
    ),
    monitoring=TAKE_HOME_MONITORING,
    review_points=(),
    stop_rule=None,
    sources=("S15", "S36"),
    tag=Tag.EVIDENCE,
    off_label=True,
    warnings=(TAKE_HOME_WARNING,),
)
