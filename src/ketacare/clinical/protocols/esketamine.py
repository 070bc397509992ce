"""Esketamine (SPRAVATO) protocols of the default library: [LABEL]/[REMS] (clinical.md §5,
§6), each with the `LabelFloor` policy.py holds clinic edits to."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from ketacare.clinical.eligibility.inputs import Indication
from ketacare.clinical.findings import Route, Tag
from ketacare.clinical.protocols._common import (
    EVERY_2_WEEKS,
    GAP_2_3_PER_WEEK_H,
    GAP_SOURCE,
    GAP_WEEKLY_H,
    TWICE_WEEKLY,
    WEEKLY,
    C,
)
from ketacare.clinical.protocols.model import (
    DoseKind,
    DoseRule,
    LabelFloor,
    MonitoringProfile,
    ObservationStart,
    Phase,
    PhaseKind,
    Protocol,
    ReviewPoint,
    StopRule,
)

# ---------------------------------------------------------------------------------------------
# Esketamine (SPRAVATO) — [LABEL]/[REMS], clinical.md §5, §6
# ---------------------------------------------------------------------------------------------

ESKETAMINE_MONITORING = MonitoringProfile(
    # Monitor >= 2 h after administration at every session ([LABEL] S2 boxed warning, S1;
    # [REMS] S6), timed from the first device ([REMS] S8; §6b). Cannot be shortened.
    min_observation_min=120,
    observation_from=ObservationStart.FIRST_DEVICE,
    # BP before dosing and ~40 min after (≈Cmax), then as clinically warranted
    # ([LABEL] S4, S9; §6b) — so no fixed interval during or after.
    bp_check_times_min=(0, 40),
    vitals_interval_during_min=None,
    vitals_interval_after_min=None,
    required_checks=(
        C.PULSE_OXIMETRY,  # respiratory status incl. pulse oximetry ([LABEL] S4, S13; §6b)
        C.PRESCRIBER_ON_SITE,  # ([REMS] S6; §6a)
        C.DIRECT_OBSERVATION,  # self-administered under direct observation ([LABEL] S4; §6a)
        C.NO_FOOD_2H,  # ([LABEL] S11, S12; §5d)
        C.NO_LIQUIDS_30MIN,  # ([LABEL] S11, S12; §5d)
        C.NASAL_STEROID_DECONGESTANT_1H_BEFORE,  # ([LABEL] S11; §4)
        C.TRANSPORT_ARRANGED,  # ([LABEL] S2 (17), S4; §5d, §6c)
        C.NO_DRIVING_UNTIL_NEXT_DAY,  # ([LABEL] S2 (17), S4; §5d, §6c)
        C.SEDATION_DISSOCIATION,  # sedation/dissociation/resp. depression resolved ([REMS] S6)
        C.REMS_MONITORING_FORM,  # every session, within 7 days ([REMS] S7, S8; §6d)
    ),
    notes=(
        "Discharge not before 2 h from the first device and only when sedation, dissociation "
        "and respiratory depression have resolved and BP is at a safe, stable level "
        "(§6c; S2, S4, S6).",
        "Moderate hepatic impairment: allow longer monitoring (§6c; S2 8.6).",
    ),
    source="clinical.md §5d, §6a-§6d; S1, S2, S4, S6, S8, S11, S13",
    tag=Tag.LABEL,
)

_ESK_SCHEDULE_SOURCE = "clinical.md §5a; S2, S4, S5"
ESKETAMINE_TRD_PHASES = (
    Phase(
        code="induction",
        kind=PhaseKind.INDUCTION,
        label="Induction (weeks 1–4)",
        frequencies=(TWICE_WEEKLY,),  # weeks 1-4 twice weekly ([LABEL] §5a)
        weeks=(4, 4),
        sessions=8,
        min_interval_hours=GAP_2_3_PER_WEEK_H,
        interval_source=GAP_SOURCE,
        source=_ESK_SCHEDULE_SOURCE,
        tag=Tag.LABEL,
    ),
    Phase(
        code="maintenance_weekly",
        kind=PhaseKind.MAINTENANCE,
        label="Maintenance (weeks 5–8)",
        frequencies=(WEEKLY,),  # weeks 5-8 once weekly ([LABEL] §5a)
        weeks=(4, 4),
        sessions=4,
        min_interval_hours=GAP_WEEKLY_H,
        interval_source=GAP_SOURCE,
        source=_ESK_SCHEDULE_SOURCE,
        tag=Tag.LABEL,
    ),
    Phase(
        code="maintenance_ongoing",
        kind=PhaseKind.MAINTENANCE,
        label="Maintenance (week 9 onwards)",
        # Every 2 weeks or weekly; use the lowest frequency that keeps remission/response
        # ([LABEL] §5a; S4, S5).
        frequencies=(EVERY_2_WEEKS, WEEKLY),
        min_interval_hours=GAP_WEEKLY_H,
        interval_source=GAP_SOURCE,
        source=_ESK_SCHEDULE_SOURCE,
        tag=Tag.LABEL,
    ),
)

WEEK_4_REVIEW = ReviewPoint(
    code="end_of_induction",
    # Evaluate therapeutic benefit at the end of induction (week 4) ([LABEL] S4, S5; §5a, §13).
    after_week=4,
    what="Evaluate therapeutic benefit to decide whether to continue into maintenance.",
    source="clinical.md §5a, §13; S4, S5",
    tag=Tag.LABEL,
)
LOWEST_FREQUENCY_REVIEW = ReviewPoint(
    code="maintenance_frequency",
    # Use the lowest frequency that maintains remission/response ([LABEL] S4, S5; §5a).
    after_week=8,
    what="Choose the lowest frequency (weekly or every 2 weeks) that maintains the response.",
    source="clinical.md §5a, §13; S4, S5",
    tag=Tag.LABEL,
)
ESKETAMINE_STOP_RULE = StopRule(
    # Continue only with evidence of therapeutic benefit at the end of week 4 ([LABEL] §13).
    # The label gives no numeric threshold, so the decision is the prescriber's.
    after_week=4,
    criterion="No evidence of therapeutic benefit at the end of induction (week 4).",
    action="Do not continue into maintenance.",
    source="clinical.md §5a, §13; S4, S5",
    tag=Tag.LABEL,
)

ESKETAMINE_TRD_DOSE = DoseRule(
    kind=DoseKind.DEVICES_28MG,
    # Day 1: 56 mg; then 56 or 84 mg ([LABEL] S2, S4; §5a). 84 mg only after an initial 56 mg.
    value=D(56),
    first_session_value=D(56),
    steps=(D(56), D(84)),
    # 5-minute rest between devices ([LABEL] S4, S12; §5a).
    device_interval_min=5,
    notes=(
        "56 mg = 2 devices, 84 mg = 3 devices; do not prime the device (§5a; S4, S12).",
        "Adjust on the efficacy and tolerability of the previous dose (§5a; S4).",
    ),
    source="clinical.md §1, §5a; S2, S4, S12",
    tag=Tag.LABEL,
)

ESKETAMINE_TRD_US = Protocol(
    code="esketamine_trd_us",
    name="Esketamine nasal spray (SPRAVATO) for treatment-resistant depression — US label",
    version=1,
    route=Route.ESKETAMINE_NASAL,
    indication=Indication.TRD,
    dose=ESKETAMINE_TRD_DOSE,
    phases=ESKETAMINE_TRD_PHASES,
    monitoring=ESKETAMINE_MONITORING,
    review_points=(WEEK_4_REVIEW, LOWEST_FREQUENCY_REVIEW),
    stop_rule=ESKETAMINE_STOP_RULE,
    label_floor=LabelFloor(
        start_dose_mg=D(56),
        allowed_doses_mg=frozenset({D(56), D(84)}),
        min_observation_min=120,
        bp_check_times_min=frozenset({0, 40}),
        required_checks=frozenset(ESKETAMINE_MONITORING.required_checks),
        phases=ESKETAMINE_TRD_PHASES,
        review_weeks=frozenset({4}),
        min_device_interval_min=5,
        source="clinical.md §5a, §6; S1, S2, S4, S6, S8",
        tag=Tag.LABEL,
    ),
    sources=("S1", "S2", "S4", "S5", "S6", "S8", "S11", "S12", "S13"),
    tag=Tag.LABEL,
    off_label=False,
    notes=(
        # Monotherapy or with an oral antidepressant since 2025-01-21 ([LABEL] S10, S1; §1).
        "TRD: as monotherapy or with an oral antidepressant (US, since 2025-01-21).",
        # Missed doses ([LABEL] S5; §5a).
        "Missed dose in weeks 1–4: continue the schedule. In maintenance with worsening, "
        "consider returning to the previous schedule (e.g. weekly → twice weekly).",
        # US label uses the same 56 mg start regardless of age ([UNCONFIRMED] §5b).
        "Same 56 mg start at any age in the US label [UNCONFIRMED for the current label]; "
        "the EU/UK ≥65 start of 28 mg is the separate protocol esketamine_trd_eu_65plus.",
    ),
)

ESKETAMINE_TRD_EU_65_PHASES = tuple(
    # Same weeks and frequencies as the US schedule ([LABEL-EU] S9; §5b).
    replace(p, source="clinical.md §5b; S9", tag=Tag.LABEL_EU)
    for p in ESKETAMINE_TRD_PHASES
)

ESKETAMINE_EU_MONITORING = replace(
    ESKETAMINE_MONITORING,
    # EU indication: in combination with an SSRI or SNRI ([LABEL-EU] S9; §1).
    required_checks=(*ESKETAMINE_MONITORING.required_checks, C.SSRI_OR_SNRI),
)

ESKETAMINE_TRD_EU_65PLUS = Protocol(
    code="esketamine_trd_eu_65plus",
    name="Esketamine nasal spray for TRD, adults ≥65 — EU/UK SmPC",
    version=1,
    route=Route.ESKETAMINE_NASAL,
    indication=Indication.TRD,
    dose=DoseRule(
        kind=DoseKind.DEVICES_28MG,
        # Day 1: 28 mg; then 28, 56 or 84 mg; all changes in 28 mg steps ([LABEL-EU] S9; §5b).
        value=D(28),
        first_session_value=D(28),
        steps=(D(28), D(56), D(84)),
        device_interval_min=5,  # ([LABEL] S4, S12; §5a)
        source="clinical.md §5b; S9",
        tag=Tag.LABEL_EU,
    ),
    phases=ESKETAMINE_TRD_EU_65_PHASES,
    monitoring=ESKETAMINE_EU_MONITORING,
    review_points=(WEEK_4_REVIEW, LOWEST_FREQUENCY_REVIEW),
    stop_rule=ESKETAMINE_STOP_RULE,
    label_floor=LabelFloor(
        start_dose_mg=D(28),
        allowed_doses_mg=frozenset({D(28), D(56), D(84)}),
        min_observation_min=120,
        bp_check_times_min=frozenset({0, 40}),
        required_checks=frozenset(ESKETAMINE_EU_MONITORING.required_checks),
        phases=ESKETAMINE_TRD_EU_65_PHASES,
        review_weeks=frozenset({4}),
        min_device_interval_min=5,
        source="clinical.md §1, §5b, §6; S9",
        tag=Tag.LABEL_EU,
    ),
    sources=("S9", "S2", "S4", "S6", "S8"),
    tag=Tag.LABEL_EU,
    off_label=False,
    notes=(
        # EU indication: with an SSRI or SNRI; prescribed by a psychiatrist ([LABEL-EU] S9; §1).
        "EU: in combination with an SSRI or SNRI; the decision to prescribe is a psychiatrist's.",
        # Continue at least 6 months after improvement (non-US label, MIMS; §5b).
        "After symptoms improve, continue at least 6 months; re-examine the need periodically "
        "(non-US label, S9 MIMS).",
        "A jurisdiction setting: offer this protocol only where the EU/UK SmPC applies.",
    ),
)
_MDSI_SOURCE = "clinical.md §1, §5c, §13; S4 (mdsi), S12"
ESKETAMINE_MDSI_PHASES = (
    Phase(
        code="induction",
        kind=PhaseKind.INDUCTION,
        label="Treatment (weeks 1–4)",
        # 84 mg twice weekly for 4 weeks ([LABEL] S4 mdsi, S12; §5c).
        frequencies=(TWICE_WEEKLY,),
        weeks=(4, 4),
        sessions=8,
        min_interval_hours=GAP_2_3_PER_WEEK_H,
        interval_source=GAP_SOURCE,
        source=_MDSI_SOURCE,
        tag=Tag.LABEL,
    ),
)
ESKETAMINE_MDSI_MONITORING = replace(
    ESKETAMINE_MONITORING,
    # Must be given with an oral antidepressant ([LABEL] S4, S12; §1, §5c).
    required_checks=(*ESKETAMINE_MONITORING.required_checks, C.ORAL_ANTIDEPRESSANT),
)

ESKETAMINE_MDSI_US = Protocol(
    code="esketamine_mdsi_us",
    name="Esketamine nasal spray for MDD with acute suicidal ideation or behaviour — US label",
    version=1,
    route=Route.ESKETAMINE_NASAL,
    indication=Indication.MDD_SUICIDAL_IDEATION,
    dose=DoseRule(
        kind=DoseKind.DEVICES_28MG,
        # 84 mg twice weekly; may reduce to 56 mg for tolerability ([LABEL] S4 mdsi, S12; §5c).
        value=D(84),
        first_session_value=D(84),
        steps=(D(56), D(84)),
        device_interval_min=5,  # ([LABEL] S4, S12; §5a)
        source=_MDSI_SOURCE,
        tag=Tag.LABEL,
    ),
    phases=ESKETAMINE_MDSI_PHASES,
    monitoring=ESKETAMINE_MDSI_MONITORING,
    review_points=(
        ReviewPoint(
            code="end_of_treatment",
            # Re-evaluate after 4 weeks; use beyond 4 weeks not systematically evaluated
            # ([LABEL] S4; §5c, §13).
            after_week=4,
            what="Evaluate benefit; use beyond 4 weeks has not been systematically evaluated.",
            source=_MDSI_SOURCE,
            tag=Tag.LABEL,
        ),
    ),
    stop_rule=StopRule(
        after_week=4,
        criterion="End of the 4-week course.",
        action="Re-evaluate; continuing beyond 4 weeks is outside the studied use.",
        source=_MDSI_SOURCE,
        tag=Tag.LABEL,
    ),
    label_floor=LabelFloor(
        start_dose_mg=D(84),
        allowed_doses_mg=frozenset({D(56), D(84)}),
        min_observation_min=120,
        bp_check_times_min=frozenset({0, 40}),
        required_checks=frozenset(ESKETAMINE_MDSI_MONITORING.required_checks),
        phases=ESKETAMINE_MDSI_PHASES,
        review_weeks=frozenset({4}),
        min_device_interval_min=5,
        source="clinical.md §5c, §6; S4, S6, S8, S12",
        tag=Tag.LABEL,
    ),
    sources=("S4", "S12", "S2", "S6", "S8", "S11", "S13"),
    tag=Tag.LABEL,
    off_label=False,
    notes=(
        # Does not replace hospitalisation; not shown to prevent suicide ([LABEL] S3, S11; §16).
        "Does not replace hospitalisation when clinically warranted; not shown to prevent "
        "suicide or reduce suicidal ideation or behaviour.",
    ),
)
