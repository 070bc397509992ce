"""Demo treatment plans: most eligible demo patients on a signed plan, across protocols.

For every patient with a signed eligibility decision that allows treatment, the clinic's
prescriber writes a plan on the protocol that fits the route and the diagnosis (IV ketamine for
depression, anxiety and TRD; the IV PTSD protocol for PTSD; the IV CRPS protocol for CRPS;
SPRAVATO for the esketamine patients; IM ketamine for the IM patients; fibromyalgia has no
protocol in the library and gets follow-ups instead). Patients without a signed consent have a
draft plan waiting for it.

A plan starts when the patient's measurement history does (the baseline of their episode of
care; patients with no scores yet start in the last few weeks) and follows its protocol through
the phases, each transition a revision dated when it happened: induction, maintenance, taper for
IV depression; weeks 1–4, 5–8 and 9+ for esketamine (56 mg, then 84 mg for most); ascending IM
doses. Non-responders on IV (PHQ-9 barely moved after four infusions) have their dose titrated,
or the plan stopped by the stop rule; relapsing patients are re-induced. PTSD and CRPS courses
are short: patients treated months ago have a completed first course and a repeat course now.
Each clinic also has one plan on hold, and a version 2 of the IV depression protocol (Riverside
caps the dose at 100 mg, Lakeside doses on adjusted body weight) that later plans use.

Everything goes through the plan actions (validated and audited as in use); the dates are then
moved back to when it happened. `load_plans` returns each signed plan's sessions for
`schedule_demo` to book.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, Role, User
from ketacare.demo.schedule_demo import Calendar, Course, Session, session_minutes
from ketacare.evaluations.models import Consent, EligibilityDecision, EvaluationStatus
from ketacare.measures.models import Assessment, EpisodeOfCare
from ketacare.patients.models import Patient
from ketacare.plans import actions
from ketacare.plans.models import ClinicProtocol, PlanRevision, PlanStatus, TreatmentPlan
from ketacare.plans.protocols import clinic_protocol, do_edit_protocol

IV_DEPRESSION = "iv_ketamine_depression"
EDIT_DAYS_AGO = 70
PROTOCOL_EDITS = {
    "riverside": (
        {"dose.max_dose_mg": "100"},
        "Medical director sign-off: cap a single IV infusion at 100 mg whatever the weight, "
        "as in the clinic's sedation policy (shared/reference gives no cap, §18).",
    ),
    "lakeside": (
        {"dose.weight_basis": "adjusted"},
        "Medical director sign-off: dose on adjusted body weight, so patients with obesity are "
        "not overdosed on actual weight (clinical.md §7a, §14: basis not standardised).",
    ),
}
TARGETS = {
    IV_DEPRESSION: [{"scale": "phq9", "target": 5, "comparison": "lt"}],
    "esketamine_trd_us": [{"scale": "phq9", "target": 5, "comparison": "lt"}],
    "im_ketamine": [{"scale": "phq9", "target": 10, "comparison": "lt"}],
    "iv_ketamine_ptsd": [{"scale": "pcl5", "target": 33, "comparison": "lt"}],
    "iv_ketamine_crps": [{"scale": "pain_nrs", "target": 4, "comparison": "le"}],
}
# Weekday patterns: three and two sessions a week, at least 48 h apart.
THRICE = ((0, 2, 4), (1, 3, 5))
TWICE = ((0, 3), (1, 4), (2, 5))


@dataclass
class Step:
    """One stretch of a course: a phase at a frequency, for `count` sessions (or until a day,
    or open-ended). `reason` documents the phase change into it; `values` follow it."""

    phase: str
    freq: tuple[int, int]
    count: int | None = None
    until: date | None = None
    reason: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    values_reason: str = ""


@dataclass
class Spec:
    patient: Patient
    code: str
    start: date
    steps: list[Step]
    pattern: tuple[int, ...]
    values: dict[str, Any] = field(default_factory=dict)
    draft: bool = False
    # Revisions after global session n: [(values, reason)]
    revisions: dict[int, list[tuple[dict[str, Any], str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Close the plan: (status, after session n or None, on day or None, reason)
    close: tuple[str, int | None, date | None, str] | None = None
    integration: bool = False
    start_minute: int = 9 * 60
    drafted_at: datetime | None = None
    decided_at: datetime | None = None  # the eligibility decision it rests on


@dataclass
class Scores:
    """A patient's PHQ-9 (or PCL-5) totals by date, to word the revisions."""

    points: list[tuple[date, int]]

    def at(self, day: date) -> int | None:
        found = None
        for when, total in self.points:
            if when <= day:
                found = total
        return found

    @property
    def baseline(self) -> int | None:
        return self.points[0][1] if self.points else None


def _phq(scores: Scores, day: date) -> str:
    base, now = scores.baseline, scores.at(day)
    return f"PHQ-9 {base} → {now}" if base is not None and now is not None else "PHQ-9 improved"


def load_plans(
    clinic: Clinic,
    calendar: Calendar,
    rng: random.Random,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Course]:
    prescriber = User.objects.get(email=f"{Role.PRESCRIBER}@{clinic.slug}.demo")
    doctor = Actor(
        user_id=prescriber.pk, label=prescriber.email, role=Role.PRESCRIBER, clinic_id=clinic.pk
    )
    specs = _specs(clinic, calendar, rng)
    edit = PROTOCOL_EDITS.get(clinic.slug)
    edit_day = calendar.today - timedelta(days=EDIT_DAYS_AGO)
    courses: list[Course] = []
    for spec in sorted(specs, key=lambda s: (s.start, s.patient.mrn)):
        if edit is not None and spec.start >= edit_day:
            row = do_edit_protocol(doctor, clinic, IV_DEPRESSION, edit[0], edit[1])
            ClinicProtocol.objects.filter(pk=row.pk).update(
                created_at=calendar.at(edit_day, 16 * 60)
            )
            edit = None
        course = _write(spec, doctor, calendar, rng)
        if course is not None and course.sessions:
            courses.append(course)
    if edit is not None:  # every plan started before the edit day: edit now, for new plans
        do_edit_protocol(doctor, clinic, IV_DEPRESSION, edit[0], edit[1])
    statuses = dict(
        TreatmentPlan.objects.filter(clinic=clinic)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    progress(
        f"{clinic.name}: {sum(statuses.values())} plans "
        f"({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))})"
    )
    return courses


# --- choosing each patient's plan -------------------------------------------------------------


def _decisions(clinic: Clinic) -> QuerySet[EligibilityDecision]:
    return (
        EligibilityDecision.objects.filter(
            evaluation__patient__clinic=clinic,
            evaluation__status=EvaluationStatus.SIGNED,
            signed_at__isnull=False,
        )
        .select_related("evaluation", "evaluation__patient")
        .prefetch_related("evaluation__patient__diagnoses")
        .order_by("evaluation__patient__mrn", "-signed_at")
    )


def _protocol_for(route: str, code: str) -> str | None:
    if route == "esketamine_nasal":
        return "esketamine_trd_us"
    if route == "im_racemic":
        return "im_ketamine"
    if route != "iv_racemic":
        return None
    if code.startswith("F43.1"):
        return "iv_ketamine_ptsd"
    if code.startswith("G90"):
        return "iv_ketamine_crps"
    if code.startswith("M79"):
        return None  # fibromyalgia: no library protocol
    return IV_DEPRESSION


def _specs(clinic: Clinic, calendar: Calendar, rng: random.Random) -> list[Spec]:
    episodes = dict(
        EpisodeOfCare.objects.filter(patient__clinic=clinic)
        .order_by("-started_on")
        .values_list("patient_id", "started_on")
    )
    points: dict[uuid.UUID, dict[str, list[tuple[date, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for patient_id, scale, when, total in (
        Assessment.objects.filter(patient__clinic=clinic, scale_code__in=["phq9", "pcl5"])
        .exclude(total=None)
        .order_by("administered_at")
        .values_list("patient_id", "scale_code", "administered_at", "total")
    ):
        day = timezone.localtime(when, calendar.zone).date()
        points[patient_id][scale].append((day, int(total or 0)))
    consents = set(
        Consent.objects.filter(patient__clinic=clinic).values_list("patient_id", "route")
    )
    seen: set[uuid.UUID] = set()
    specs: list[Spec] = []
    roles = {"stopped": False, "on_hold": False, "completed": False}
    for decision in _decisions(clinic):
        evaluation = decision.evaluation
        patient = evaluation.patient
        if patient.pk in seen or not decision.allows_treatment:
            continue
        seen.add(patient.pk)
        primary = next((d for d in patient.diagnoses.all() if d.is_primary), None)
        code = _protocol_for(decision.route, primary.icd10_code if primary else "")
        if code is None:
            continue
        signed_on = timezone.localtime(decision.signed_at, calendar.zone).date()
        episode = episodes.get(patient.pk)
        if episode is not None:
            # The first session follows the baseline scores by a few days.
            start = max(episode + timedelta(days=rng.randint(0, 3)), signed_on + timedelta(days=1))
        else:  # no scores yet: a new patient, started in the last weeks
            start = max(
                signed_on + timedelta(days=3), calendar.today - timedelta(rng.randint(2, 18))
            )
        scale = "pcl5" if code == "iv_ketamine_ptsd" else "phq9"
        scores = Scores(points[patient.pk][scale])
        base = {
            "goals": evaluation.goals,
            "targets": TARGETS[code],
        }
        if (patient.pk, decision.route) not in consents:
            specs.append(
                Spec(
                    patient=patient,
                    code=code,
                    start=max(calendar.today + timedelta(days=rng.randint(3, 9)), start),
                    steps=[],
                    pattern=(),
                    values=base,
                    draft=True,
                    drafted_at=(decision.signed_at or timezone.now()) + timedelta(hours=2),
                )
            )
            continue
        builder = {
            IV_DEPRESSION: _iv_depression,
            "esketamine_trd_us": _esketamine,
            "im_ketamine": _im,
            "iv_ketamine_ptsd": _short_course,
            "iv_ketamine_crps": _short_course,
        }[code]
        for spec in builder(patient, code, start, scores, base, calendar, rng, roles):
            spec.decided_at = decision.signed_at
            specs.append(spec)
    _ensure_roles(specs, calendar, rng, roles)
    return specs


def _pattern(
    calendar: Calendar,
    choices: tuple[tuple[int, ...], ...],
    minutes: int,
    esk: bool,
    rng: random.Random,
) -> tuple[int, ...]:
    fit = [p for p in choices if all(calendar.weekday_fits(d, minutes, esk) for d in p)]
    return rng.choice(fit or list(choices))


def _start_minute(calendar: Calendar, minutes: int, rng: random.Random) -> int:
    opens, closes = calendar.hours[0]
    first, last = opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute - minutes
    return rng.choice(range(first, last + 1, 15 if minutes < 200 else 30))


def _iv_depression(
    patient: Patient,
    code: str,
    start: date,
    scores: Scores,
    base: dict[str, Any],
    calendar: Calendar,
    rng: random.Random,
    roles: dict[str, bool],
) -> list[Spec]:
    minutes = session_minutes(clinic_protocol(patient.clinic, code))
    thrice = rng.random() < 0.6
    spec = Spec(
        patient=patient,
        code=code,
        start=start,
        pattern=_pattern(calendar, THRICE if thrice else TWICE, minutes, False, rng),
        values={**base, "frequency_count": 3 if thrice else 2, "frequency_per_days": 7},
        steps=[],
        integration=rng.random() < 0.6,
        start_minute=_start_minute(calendar, minutes, rng),
    )
    early = [t for d, t in scores.points if start + timedelta(days=8) <= d <= start + timedelta(30)]
    baseline = scores.baseline
    non_responder = bool(baseline and early and min(early) > 0.8 * baseline)
    elapsed = (calendar.today - start).days
    cadence = rng.choices(["weekly", "fortnightly", "monthly"], weights=[35, 45, 20])[0]
    monthly = cadence == "monthly"
    end_induction = start + timedelta(days=14)
    spec.steps = [
        Step("induction", (3, 7) if thrice else (2, 7), count=6),
        Step(
            "maintenance",
            (1, 7),
            count=4,
            reason=f"End-of-induction review (24 h after infusion 6): "
            f"{_phq(scores, end_induction)}, a response. Weekly maintenance for 4 weeks "
            "(S32, clinical.md §7d).",
        ),
        Step(
            "taper",
            (1, 28) if monthly else (1, 14),
            reason="Response sustained through four weekly infusions: tapering (clinical.md "
            "§7d), dosing a little before the effect fades.",
            values={"frequency_count": 1, "frequency_per_days": 28} if monthly else {},
            values_reason="Every 4 weeks: effect lasts about a month (patient's diary).",
        ),
    ]
    if cadence == "weekly":  # stays on weekly maintenance: stretching it failed
        spec.steps[1].count = None
        del spec.steps[2]
        spec.revisions[10].append(
            (
                {"sessions_planned": 12},
                "Weekly maintenance extended to 12 infusions: PHQ-9 rose by 5 points within "
                "10 days when the interval was stretched. Review again at infusion 12.",
            )
        )
    if non_responder and elapsed > 14:
        if not roles["stopped"]:
            roles["stopped"] = True
            spec.close = (
                PlanStatus.STOPPED,
                4,
                None,
                "Stop rule: less than 20% improvement 24 h after infusion 4 "
                f"({_phq(scores, start + timedelta(days=10))}; S33, clinical.md §7c). Further "
                "infusions unlikely to help; referred back to the psychiatrist to discuss "
                "esketamine or ECT.",
            )
        else:
            spec.revisions[4].append(
                (
                    {"dose_value": "0.75"},
                    "Less than 20% improvement after infusion 4 "
                    f"({_phq(scores, start + timedelta(days=10))}). Titrating to 0.75 mg/kg "
                    "(ASKP3: escalation may be needed, S21) before deciding to stop; tolerated "
                    "0.5 mg/kg with no dissociation beyond CADSS 4.",
                )
            )
    points = scores.points
    best = min((t for _, t in points), default=None)
    last = points[-1][1] if points else None
    relapse = (
        baseline is not None
        and best is not None
        and last is not None
        and best < 0.5 * baseline
        and last >= best + 6
        and elapsed > 90
        and spec.close is None
        and len(spec.steps) == 3
    )
    if relapse:
        back = calendar.today - timedelta(days=rng.randint(3, 9))
        spec.steps[2].until = back
        spec.steps.append(
            Step(
                "induction",
                (2, 7),
                count=3,
                reason=f"Relapse: PHQ-9 back up to {last} from a low of {best}. Re-induction "
                "with three infusions, twice weekly, then weekly maintenance.",
                values={"sessions_planned": 3, "frequency_count": 2, "frequency_per_days": 7},
                values_reason="Re-induction: three infusions, twice weekly.",
            )
        )
        spec.steps.append(
            Step(
                "maintenance",
                (1, 7),
                count=4,
                reason="Re-induction complete and response regained: weekly maintenance.",
            )
        )
    return [spec]


def _esketamine(
    patient: Patient,
    code: str,
    start: date,
    scores: Scores,
    base: dict[str, Any],
    calendar: Calendar,
    rng: random.Random,
    roles: dict[str, bool],
) -> list[Spec]:
    minutes = session_minutes(clinic_protocol(patient.clinic, code))
    weekly = rng.random() < 0.4
    spec = Spec(
        patient=patient,
        code=code,
        start=start,
        pattern=_pattern(calendar, TWICE, minutes, True, rng),
        values=base,
        steps=[
            Step("induction", (2, 7), count=8),
            Step(
                "maintenance_weekly",
                (1, 7),
                count=4,
                reason=f"Week-4 review: benefit confirmed ({_phq(scores, start + timedelta(28))}). "
                "Weeks 5–8 once weekly (SPRAVATO label).",
            ),
            Step(
                "maintenance_ongoing",
                (1, 7) if weekly else (1, 14),
                reason="Week 9 onwards: individualised to the least frequent dosing that keeps "
                "remission/response (SPRAVATO label).",
                values={"frequency_count": 1, "frequency_per_days": 7} if weekly else {},
                values_reason="Weekly: symptoms returned on day 10 when tried every 2 weeks.",
            ),
        ],
        start_minute=rng.choice([8 * 60, 8 * 60 + 30, 10 * 60 + 30, 13 * 60, 15 * 60]),
    )
    if rng.random() < 0.65:
        spec.revisions[1].append(
            (
                {"dose_value": "84"},
                "Session 1 (56 mg) tolerated: BP peak 148/88 at 40 min, settled by 90 min; mild "
                "dissociation. Increasing to 84 mg from session 2 (label: 56 or 84 mg).",
            )
        )
    return [spec]


def _im(
    patient: Patient,
    code: str,
    start: date,
    scores: Scores,
    base: dict[str, Any],
    calendar: Calendar,
    rng: random.Random,
    roles: dict[str, bool],
) -> list[Spec]:
    minutes = session_minutes(clinic_protocol(patient.clinic, code))
    twice = rng.random() < 0.4
    elapsed_weeks = (calendar.today - start).days // 7
    spec = Spec(
        patient=patient,
        code=code,
        start=start,
        pattern=_pattern(calendar, TWICE, minutes, False, rng),
        values={**base, "dose_value": "0.25"},
        steps=[
            Step("induction", (1, 7), count=3),
            Step(
                "maintenance",
                (2, 7) if twice else (1, 7),
                count=None if twice else 12,
                reason="Ascending doses tolerated (0.25 → 0.5 → 0.75 mg/kg); maintenance for "
                "12 weeks (S42, clinical.md §8).",
                values={"frequency_count": 2, "frequency_per_days": 7} if twice else {},
                values_reason="Twice weekly: benefit fades by day 4 (patient's PHQ-9 diary).",
            ),
        ],
        integration=rng.random() < 0.5,
        start_minute=_start_minute(calendar, minutes, rng),
    )
    spec.revisions[1].append(
        ({"dose_value": "0.5"}, "Ascending doses: 0.25 mg/kg tolerated, next 0.5 mg/kg (S42).")
    )
    spec.revisions[2].append(
        ({"dose_value": "0.75"}, "Ascending doses: 0.5 mg/kg tolerated, next 0.75 mg/kg (S42).")
    )
    if not twice and elapsed_weeks > 15:
        if not roles["completed"]:
            roles["completed"] = True
            spec.close = (
                PlanStatus.COMPLETED,
                15,
                None,
                f"Course complete: three ascending doses and 12 weeks of maintenance; "
                f"{_phq(scores, start + timedelta(weeks=15))}. Follow-up monthly, re-treat on "
                "relapse.",
            )
        else:
            spec.steps[1].count = None
            spec.revisions[15].append(
                (
                    {"sessions_planned": 24},
                    "Maintenance extended to 24 weeks: response holds but slipped when the "
                    "interval was stretched. Review at week 24.",
                )
            )
    return [spec]


def _short_course(
    patient: Patient,
    code: str,
    start: date,
    scores: Scores,
    base: dict[str, Any],
    calendar: Calendar,
    rng: random.Random,
    roles: dict[str, bool],
) -> list[Spec]:
    """PTSD (6 infusions in 2 weeks) and CRPS (10 daily infusions): a patient treated months ago
    has a completed first course and a repeat course now."""
    ptsd = code == "iv_ketamine_ptsd"
    minutes = session_minutes(clinic_protocol(patient.clinic, code))
    freq, count = ((3, 7), 6) if ptsd else ((1, 1), 10)
    pattern = _pattern(calendar, THRICE, minutes, False, rng) if ptsd else (0, 1, 2, 3, 4)
    start_minute = _start_minute(calendar, minutes, rng) if ptsd else 8 * 60
    values = {**base, "frequency_count": freq[0], "frequency_per_days": freq[1]}
    outcome = (
        f"PCL-5 {scores.baseline} → {scores.at(start + timedelta(days=16))}"
        if ptsd and scores.baseline is not None
        else "pain NRS 8 → 4, walking 20 minutes again"
    )
    first = Spec(
        patient=patient,
        code=code,
        start=start,
        pattern=pattern,
        values=values,
        steps=[Step("induction", freq, count=count)],
        integration=ptsd,
        start_minute=start_minute,
        close=(
            PlanStatus.COMPLETED,
            count,
            None,
            f"Course of {count} infusions completed: {outcome}. Follow up monthly; repeat "
            "course on return of symptoms.",
        ),
    )
    if (calendar.today - start).days < 60:
        first.close = None
        return [first]
    roles["completed"] = True
    again = calendar.today + timedelta(days=rng.randint(-11, 6))
    repeat = Spec(
        patient=patient,
        code=code,
        start=again,
        pattern=pattern,
        values={
            **values,
            "goals": base["goals"] + " (Repeat course: symptoms returning after about three "
            "months.)",
        },
        steps=[Step("induction", freq, count=count)],
        integration=ptsd,
        start_minute=start_minute,
    )
    return [first, repeat]


def _ensure_roles(
    specs: list[Spec], calendar: Calendar, rng: random.Random, roles: dict[str, bool]
) -> None:
    """One plan on hold per clinic (and a stopped and a completed one if none arose)."""
    candidates = [
        s
        for s in specs
        if s.code == IV_DEPRESSION
        and not s.draft
        and s.close is None
        and len(s.steps) == 3
        and (calendar.today - s.start).days > 60
    ]
    rng.shuffle(candidates)
    if candidates:
        spec = candidates.pop()
        spec.close = (
            PlanStatus.ON_HOLD,
            None,
            calendar.today - timedelta(days=rng.randint(4, 10)),
            "On hold: admitted for elective knee replacement. Resume after the surgical team "
            "clears it (about 3 weeks); recheck blood pressure and medications first.",
        )
    if candidates and not roles["stopped"]:
        candidates.pop().close = (
            PlanStatus.STOPPED,
            None,
            calendar.today - timedelta(days=rng.randint(12, 25)),
            "Stopped at the patient's request: moving out of state; records sent to the new "
            "clinic with the plan and the session log.",
        )
    if candidates and not roles["completed"]:
        candidates.pop().close = (
            PlanStatus.COMPLETED,
            None,
            calendar.today - timedelta(days=rng.randint(5, 15)),
            "Course completed: in remission for 3 months on taper; no further infusions "
            "planned. Monthly follow-up.",
        )


# --- writing a plan through the actions -------------------------------------------------------


def _next_day(
    calendar: Calendar,
    day: date,
    freq: tuple[int, int],
    pattern: tuple[int, ...],
    fits: Callable[[date], bool],
) -> date:
    count, per_days = freq
    if per_days == 7 and count > 1:
        day = day + timedelta(days=2)
        while day.weekday() not in pattern or not fits(day):
            day += timedelta(days=1)
        return day
    day = day + timedelta(days=max(1, per_days // count))
    while not fits(day):
        day += timedelta(days=1)
    return day


def _first_day(day: date, pattern: tuple[int, ...], fits: Callable[[date], bool]) -> date:
    while (pattern and day.weekday() not in pattern) or not fits(day):
        day += timedelta(days=1)
    return day


def _write(spec: Spec, doctor: Actor, calendar: Calendar, rng: random.Random) -> Course | None:
    now = timezone.now()
    protocol = clinic_protocol(spec.patient.clinic, spec.code)
    minutes = session_minutes(protocol)
    esk = protocol.route.is_esketamine

    def fits(day: date) -> bool:
        return calendar.fits(day, minutes, prescriber=esk)

    # The plan starts on the day of its first session (a clinic day the chair time fits).
    spec.start = _first_day(spec.start, spec.pattern, fits)
    values = dict(spec.values)
    values["starts_on"] = spec.start
    plan = actions.do_create_plan(doctor, spec.patient, spec.code, values)
    if spec.draft:
        when = min(spec.drafted_at or now, now)
        TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=when, updated_at=when)
        return None
    signed_day = spec.start - timedelta(days=rng.randint(1, 4))
    signed_at = calendar.at(signed_day, 16 * 60 + rng.randint(0, 59))
    if spec.decided_at is not None:  # never before the eligibility decision
        signed_at = max(signed_at, spec.decided_at + timedelta(hours=1))
    signed_at = min(signed_at, now)
    dated: list[tuple[PlanRevision, datetime]] = []
    dated.append((actions.do_sign_plan(doctor, plan), signed_at))
    course = Course(
        plan_id=plan.pk,
        patient_id=spec.patient.pk,
        route=plan.route,
        minutes=minutes,
        start_minute=spec.start_minute,
        integration=spec.integration,
    )

    def event(day: date, minute: int) -> datetime | None:
        when = calendar.at(day, minute)
        return when if when <= now else None

    def revise(day: date, vals: dict[str, Any], reason: str) -> None:
        when = event(day, 17 * 60 + 30)
        if when is not None and vals:
            dated.append((actions.do_revise_plan(doctor, plan, vals, reason), when))

    day = spec.start
    total = 0
    last: date | None = None
    closed = False
    for index, step in enumerate(spec.steps):
        series = uuid.UUID(int=rng.getrandbits(128), version=4)
        if index > 0 and last is not None:
            change = spec.steps[index - 1].until or last + timedelta(days=1)
            changed_at = event(change, 9 * 60)
            if changed_at is None:
                break
            revision = actions.do_set_phase(doctor, plan, step.phase, step.reason)
            dated.append((revision, changed_at))
            if step.values:
                revise(change, step.values, step.values_reason)
            course.follow_up_days.append(change)
            day = _next_day(calendar, max(last, change), step.freq, spec.pattern, fits)
            if step.freq[0] == 1 and step.freq[1] >= 7:  # a new weekday suits the patient now
                day += timedelta(days=rng.randint(0, 4))
                while not fits(day):
                    day += timedelta(days=1)
        number = 0
        while step.count is None or number < step.count:
            if day > calendar.horizon:
                break
            if step.until is not None and day > step.until:
                break
            if spec.close and spec.close[2] is not None and day >= spec.close[2]:
                _close(doctor, plan, spec.close, spec.close[2], dated, event)
                closed = True
                break
            number += 1
            total += 1
            if day >= calendar.start:
                course.sessions.append(Session(day, step.phase, number, series))
            else:
                course.history.append(Session(day, step.phase, number, series))
            for vals, reason in spec.revisions.get(total, []):
                revise(day, vals, reason)
            last = day
            if spec.close and spec.close[1] == total:
                _close(doctor, plan, spec.close, day + timedelta(days=1), dated, event)
                closed = True
                break
            day = _next_day(calendar, day, step.freq, spec.pattern, fits)
        if closed or day > calendar.horizon:
            break
    # Monthly prescriber follow-ups while the plan runs.
    follow = spec.start + timedelta(days=28)
    while follow <= calendar.horizon and not closed:
        if follow >= calendar.start:
            course.follow_up_days.append(follow)
        follow += timedelta(days=28)
    course.follow_up_days = [d for d in course.follow_up_days if d >= calendar.start]
    for revision, when in dated:
        PlanRevision.objects.filter(pk=revision.pk).update(at=when)
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        created_at=signed_at - timedelta(minutes=50),
        signed_at=signed_at,
        updated_at=max(w for _, w in dated),
    )
    return course


def _close(
    doctor: Actor,
    plan: TreatmentPlan,
    close: tuple[str, int | None, date | None, str],
    day: date,
    dated: list[tuple[PlanRevision, datetime]],
    event: Callable[[date, int], datetime | None],
) -> None:
    when = event(day, 12 * 60)
    if when is not None:
        dated.append((actions.do_set_status(doctor, plan, close[0], close[3]), when))
