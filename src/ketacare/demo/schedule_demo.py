"""Demo scheduling: chairs and rooms, hours, closures, and seven weeks of appointments.

Each demo clinic gets six treatment chairs (Chairs 1–4 with an IV pump and a monitor, Chairs
5–6 esketamine-certified with a monitor), a consult room and a therapy room, opening hours
(Mon–Fri 08:00–18:00, Sat 09:00–13:00), closures (the next public holidays and a staff training
day), staff hours and reminder leads of 48 h and 2 h.

Appointments cover five weeks back, the current week (Monday–Saturday of today's week in the
clinic's time zone) and the next week: every treatment session of the plans written by
`plans_demo` (their dates come from the plan's phases and frequency), plus evaluations and
follow-ups in the consult room, integration therapy in the therapy room and telehealth visits.
They are placed by a small allocator that keeps every chair, room, clinician and patient free of
overlaps, inside clinic and staff hours, off closures, esketamine on a certified chair while a
prescriber works. Statuses follow the clock: past ones completed (with one no-show and one
cancellation), running ones checked in, later ones booked or confirmed.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.clinical.protocols import Protocol
from ketacare.evaluations.models import Evaluation
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.models import Patient
from ketacare.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicHours,
    Closure,
    ReminderLead,
    Resource,
    ResourceKind,
    StaffHours,
)

HISTORY_WEEKS = 5  # completed sessions this many weeks before the current week
SLOT_MIN = 15  # start times on a quarter-hour grid
SETUP_MIN = 15  # check-in, vitals and cannulation before the dose

# (name, kind, IV pump, monitor, esketamine certified)
RESOURCES = (
    ("Chair 1", ResourceKind.CHAIR, True, True, False),
    ("Chair 2", ResourceKind.CHAIR, True, True, False),
    ("Chair 3", ResourceKind.CHAIR, True, True, False),
    ("Chair 4", ResourceKind.CHAIR, True, True, False),
    ("Chair 5", ResourceKind.CHAIR, False, True, True),
    ("Chair 6", ResourceKind.CHAIR, False, True, True),
    ("Consult room", ResourceKind.ROOM, False, False, False),
    ("Therapy room", ResourceKind.ROOM, False, False, False),
)
WEEKDAYS = (0, 1, 2, 3, 4)
OPENING = {**{d: (time(8), time(18)) for d in WEEKDAYS}, 5: (time(9), time(13))}
# Staff hours by role: (weekdays, starts, ends).
STAFF_HOURS: dict[str, tuple[tuple[tuple[int, ...], time, time], ...]] = {
    Role.PRESCRIBER: ((WEEKDAYS, time(8), time(18)),),
    Role.NURSE: ((WEEKDAYS, time(7, 45), time(18)), ((5,), time(8, 45), time(13))),
    Role.THERAPIST: (((0, 1, 3, 4), time(9), time(17)), ((5,), time(9), time(13))),
}
# Riverside's second prescriber (Dr. Moreau, also Lakeside's director) covers Saturday
# mornings and Wednesday afternoons, so esketamine can be given on Saturdays there.
MULTI_HOURS: tuple[tuple[tuple[int, ...], time, time], ...] = (
    ((5,), time(9), time(13)),
    ((2,), time(13), time(18)),
)
REMINDER_LEADS = (48, 2)


# --- calendar ---------------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def public_holidays(year: int) -> list[tuple[date, str]]:
    """US federal holidays a clinic closes for (a Sunday holiday is observed on Monday)."""
    days = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_last_weekday(year, 5, 0), "Memorial Day"),
        (date(year, 6, 19), "Juneteenth"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (_nth_weekday(year, 11, 3, 4) + timedelta(days=1), "Day after Thanksgiving"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    return [(d + timedelta(days=1) if d.weekday() == 6 else d, name) for d, name in days]


@dataclass
class Calendar:
    """A clinic's days: the current week, the window the demo fills, hours and closures."""

    zone: ZoneInfo
    today: date
    monday: date  # of the current week
    start: date  # first day with appointments
    horizon: date  # last day with appointments (Saturday of next week)
    closed: set[date] = field(default_factory=set)
    hours: dict[int, tuple[time, time]] = field(default_factory=dict)
    # weekday -> [(starts, ends)] of the clinic's prescribers
    prescriber_hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)

    @property
    def week(self) -> list[date]:
        """Monday–Saturday of the current week."""
        return [self.monday + timedelta(days=i) for i in range(6)]

    def is_open(self, day: date) -> bool:
        return day.weekday() in self.hours and day not in self.closed

    def open_minutes(self, day: date) -> int:
        if not self.is_open(day):
            return 0
        opens, closes = self.hours[day.weekday()]
        return _minutes(closes) - _minutes(opens)

    def fits(self, day: date, minutes: int, *, prescriber: bool = False) -> bool:
        """Could a block of `minutes` be given on `day` (with a prescriber on site)?"""
        return day not in self.closed and self.weekday_fits(day.weekday(), minutes, prescriber)

    def weekday_fits(self, weekday: int, minutes: int, prescriber: bool = False) -> bool:
        hours = self.hours.get(weekday)
        if hours is None or _minutes(hours[1]) - _minutes(hours[0]) < minutes:
            return False
        if not prescriber:
            return True
        return any(
            _minutes(e) - _minutes(s) >= minutes for s, e in self.prescriber_hours.get(weekday, [])
        )

    def at(self, day: date, minute: int) -> datetime:
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)

    def days(self) -> Iterable[date]:
        day = self.start
        while day <= self.horizon:
            yield day
            day += timedelta(days=1)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def make_calendar(clinic: Clinic, closed: Iterable[date] = ()) -> Calendar:
    today = clinic_today(clinic)
    monday = today - timedelta(days=today.weekday())
    calendar = Calendar(
        zone=clinic_zone(clinic),
        today=today,
        monday=monday,
        start=monday - timedelta(weeks=HISTORY_WEEKS),
        horizon=monday + timedelta(days=12),
        closed=set(closed),
    )
    for row in ClinicHours.objects.filter(clinic=clinic):
        calendar.hours[row.weekday] = (row.opens, row.closes)
    prescribers = Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).values("user")
    for staff in StaffHours.objects.filter(clinic=clinic, user__in=prescribers):
        calendar.prescriber_hours.setdefault(staff.weekday, []).append((staff.starts, staff.ends))
    for closure in Closure.objects.filter(clinic=clinic):
        day = closure.starts_on
        while day <= closure.ends_on:
            calendar.closed.add(day)
            day += timedelta(days=1)
    return calendar


# --- set-up -----------------------------------------------------------------------------------


def setup_clinic(clinic: Clinic, index: int) -> Calendar:
    """Resources, opening hours, closures, staff hours and reminder leads of a demo clinic."""
    admin = User.objects.get(email=f"{Role.ADMIN}@{clinic.slug}.demo")
    Resource.objects.bulk_create(
        Resource(
            clinic=clinic,
            name=name,
            kind=kind,
            has_iv_pump=pump,
            has_monitor=monitor,
            esketamine_certified=certified,
            sort_order=n,
        )
        for n, (name, kind, pump, monitor, certified) in enumerate(RESOURCES, start=1)
    )
    ClinicHours.objects.bulk_create(
        ClinicHours(clinic=clinic, weekday=d, opens=o, closes=c) for d, (o, c) in OPENING.items()
    )
    today = clinic_today(clinic)
    monday = today - timedelta(days=today.weekday())
    closures = []
    for year in (today.year, today.year + 1):
        for day, name in public_holidays(year):
            if monday - timedelta(weeks=HISTORY_WEEKS) <= day <= today + timedelta(days=120):
                closures.append(Closure(clinic=clinic, starts_on=day, ends_on=day, reason=name))
    # A staff training day: Riverside's was last week, Lakeside's is the week after next.
    training = monday + (timedelta(days=-5) if index == 0 else timedelta(days=16))
    closures.append(
        Closure(
            clinic=clinic,
            starts_on=training,
            ends_on=training,
            reason="Staff training: ACLS recertification and emergency drills (clinic closed)",
            created_by=admin,
        )
    )
    Closure.objects.bulk_create(closures)
    hours: list[StaffHours] = []
    for membership in Membership.objects.filter(clinic=clinic).select_related("user"):
        user = membership.user
        if not user.email.endswith(".demo"):
            continue
        if user.email.startswith("multi@"):
            rows = MULTI_HOURS if membership.role == Role.PRESCRIBER else ()
        else:
            rows = STAFF_HOURS.get(membership.role, ())
        for weekdays, starts, ends in rows:
            hours.extend(
                StaffHours(clinic=clinic, user=user, weekday=d, starts=starts, ends=ends)
                for d in weekdays
            )
    StaffHours.objects.bulk_create(hours)
    ReminderLead.objects.bulk_create(ReminderLead(clinic=clinic, hours=h) for h in REMINDER_LEADS)
    return make_calendar(clinic)


# --- what plans_demo hands over ---------------------------------------------------------------


@dataclass
class Session:
    day: date
    phase: str
    number: int  # within the phase
    series: uuid.UUID


@dataclass
class Course:
    """One plan's treatment sessions in the window, and what the chair must offer."""

    plan_id: int
    patient_id: uuid.UUID
    route: str
    minutes: int
    start_minute: int  # preferred start, minutes after midnight
    sessions: list[Session] = field(default_factory=list)
    integration: bool = False  # sees the therapist after induction sessions
    follow_up_days: list[date] = field(default_factory=list)
    # Sessions given before the booking window (their appointments: `chairs_demo`).
    history: list[Session] = field(default_factory=list)

    @property
    def esketamine(self) -> bool:
        return self.route == "esketamine_nasal"


def session_minutes(protocol: Protocol) -> int:
    """Chair time of one session: set-up, the infusion (or devices), the protocol's minimum
    observation, rounded up to the quarter hour."""
    dose = protocol.dose
    minutes = SETUP_MIN + protocol.monitoring.min_observation_min
    if protocol.monitoring.observation_from.value == "end_of_infusion":
        minutes += dose.duration_min or 0
    elif protocol.route.is_esketamine:
        minutes += 0  # observation runs from the first device
    return -(-minutes // SLOT_MIN) * SLOT_MIN


# --- allocation -------------------------------------------------------------------------------


Interval = tuple[datetime, datetime]


def _free(busy: list[Interval], starts: datetime, ends: datetime) -> bool:
    return all(ends <= s or starts >= e for s, e in busy)


@dataclass
class Booker:
    """Places appointments without overlaps; collects them for one bulk insert."""

    clinic: Clinic
    calendar: Calendar
    rng: random.Random
    nurse: User
    intake: User
    chairs: list[Resource]
    consult: Resource
    therapy: Resource
    staff_hours: dict[int, dict[int, list[tuple[time, time]]]]  # user -> weekday -> hours
    busy: dict[object, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    rows: list[Appointment] = field(default_factory=list)
    prescriber_ids: set[int] = field(default_factory=set)

    def _works(self, user_id: int, starts: datetime, ends: datetime) -> bool:
        local_start, local_end = (
            starts.astimezone(self.calendar.zone),
            ends.astimezone(self.calendar.zone),
        )
        return any(
            s <= local_start.time() and local_end.time() <= e
            for s, e in self.staff_hours.get(user_id, {}).get(local_start.weekday(), [])
        )

    def prescriber_on_site(self, starts: datetime, ends: datetime) -> bool:
        return any(
            self._works(uid, starts, ends) for uid in self.staff_hours if uid in self.prescriber_ids
        )

    def place(
        self,
        *,
        patient_id: uuid.UUID,
        day: date,
        minutes: int,
        kind: str,
        resources: list[Resource | None],
        clinician: User | None = None,
        prefer: int | None = None,
        esketamine: bool = False,
        latest_day: date | None = None,
        **extra: object,
    ) -> Appointment | None:
        """Book the first free start on `day` (from `prefer`), else the next open days."""
        last = min(latest_day or day, self.calendar.horizon)
        while day <= last:
            if self.calendar.is_open(day):
                found = self._place_on(
                    patient_id, day, minutes, kind, resources, clinician, prefer, esketamine, extra
                )
                if found is not None:
                    return found
            day += timedelta(days=1)
        return None

    def _place_on(
        self,
        patient_id: uuid.UUID,
        day: date,
        minutes: int,
        kind: str,
        resources: list[Resource | None],
        clinician: User | None,
        prefer: int | None,
        esketamine: bool,
        extra: dict[str, object],
    ) -> Appointment | None:
        opens, closes = self.calendar.hours[day.weekday()]
        first, last = _minutes(opens), _minutes(closes) - minutes
        if last < first:
            return None
        starts = list(range(first, last + 1, SLOT_MIN))
        if prefer is not None:
            starts.sort(key=lambda m: (m < prefer, abs(m - prefer)))
        for minute in starts:
            begin = self.calendar.at(day, minute)
            end = begin + timedelta(minutes=minutes)
            if not _free(self.busy[("patient", patient_id)], begin, end):
                continue
            if clinician is not None and (
                not self._works(clinician.pk, begin, end)
                or not _free(self.busy[("user", clinician.pk)], begin, end)
            ):
                continue
            if esketamine and not self.prescriber_on_site(begin, end):
                continue
            for resource in resources:
                if resource is not None and not _free(self.busy[resource.pk], begin, end):
                    continue
                return self._add(
                    patient_id, kind, begin, end, resource, clinician, extra, esketamine
                )
        return None

    def _add(
        self,
        patient_id: uuid.UUID,
        kind: str,
        begin: datetime,
        end: datetime,
        resource: Resource | None,
        clinician: User | None,
        extra: dict[str, object],
        esketamine: bool,
    ) -> Appointment:
        self.busy[("patient", patient_id)].append((begin, end))
        if resource is not None:
            self.busy[resource.pk].append((begin, end))
        if clinician is not None and kind != AppointmentType.TREATMENT:
            self.busy[("user", clinician.pk)].append((begin, end))
        row = Appointment(
            id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            clinic=self.clinic,
            patient_id=patient_id,
            type=kind,
            starts_at=begin,
            ends_at=end,
            resource=resource,
            clinician=clinician,
            created_by=self.intake if kind != AppointmentType.TREATMENT else self.nurse,
            **extra,
        )
        self.rows.append(row)
        return row


def _staff_hours(clinic: Clinic) -> dict[int, dict[int, list[tuple[time, time]]]]:
    out: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for row in StaffHours.objects.filter(clinic=clinic):
        out[row.user_id][row.weekday].append((row.starts, row.ends))
    return out


def _chairs_for(course: Course, chairs: list[Resource], rng: random.Random) -> list[Resource]:
    """Chairs that can give the course, in the order the clinic fills them."""
    if course.esketamine:
        fit = [c for c in chairs if c.esketamine_certified]
    elif course.route == "iv_racemic":
        fit = [c for c in chairs if c.has_iv_pump and c.has_monitor]
    else:  # IM or oral: any monitored chair, the certified ones first (no pump needed)
        fit = sorted((c for c in chairs if c.has_monitor), key=lambda c: not c.esketamine_certified)
    # Patients like "their" chair: start from a different one per course.
    shift = rng.randrange(len(fit))
    return fit[shift:] + fit[:shift] if not course.esketamine else fit


def load_appointments(
    clinic: Clinic,
    calendar: Calendar,
    courses: list[Course],
    rng: random.Random,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Appointment]:
    """Book every course's sessions in the window, then the consult and therapy work."""
    users = {
        m.role: m.user
        for m in Membership.objects.filter(
            clinic=clinic, user__email__endswith=f"{clinic.slug}.demo"
        ).select_related("user")
    }
    resources = {r.name: r for r in Resource.objects.filter(clinic=clinic)}
    chairs = [r for r in resources.values() if r.kind == ResourceKind.CHAIR]
    chairs.sort(key=lambda r: r.sort_order)
    booker = Booker(
        clinic=clinic,
        calendar=calendar,
        rng=rng,
        nurse=users[Role.NURSE],
        intake=users[Role.INTAKE],
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
    # Long blocks first (CRPS days), then esketamine (two chairs, prescriber hours), then the rest.
    for course in sorted(courses, key=lambda c: (-c.minutes, not c.esketamine, c.plan_id)):
        fit = _chairs_for(course, chairs, rng)
        for session in course.sessions:
            booker.place(
                patient_id=course.patient_id,
                day=session.day,
                latest_day=session.day + timedelta(days=2),
                minutes=course.minutes,
                kind=AppointmentType.TREATMENT,
                resources=list(fit),
                clinician=booker.nurse,
                prefer=course.start_minute,
                esketamine=course.esketamine,
                plan_id=course.plan_id,
                phase=session.phase,
                session_number=session.number,
                series=session.series,
            )
    _consults(clinic, calendar, courses, booker, users, rng)
    _set_statuses(booker.rows, calendar, users, rng)
    Appointment.objects.bulk_create(booker.rows, batch_size=500)
    progress(f"{clinic.name}: {len(booker.rows)} appointments")
    return booker.rows


FOLLOW_UP_NOTES = (
    "Medication review and plan check-in.",
    "Review of scores since the last session; side effects; next steps.",
    "End-of-induction review with the prescriber.",
    "Blood pressure follow-up (home readings).",
)
INTEGRATION_NOTES = (
    "Integration session: making sense of the experience, linking it to goals.",
    "Integration: values work and behavioural activation.",
    "Integration therapy (trauma-focused, after the infusion).",
)


def _consults(
    clinic: Clinic,
    calendar: Calendar,
    courses: list[Course],
    booker: Booker,
    users: dict[str, User],
    rng: random.Random,
) -> None:
    prescriber, therapist = users[Role.PRESCRIBER], users[Role.THERAPIST]
    treated = {c.patient_id for c in courses}
    for course in courses:
        # Integration therapy the day after induction sessions 2, 4 and 6 (or soon after).
        if course.integration:
            for session in course.sessions:
                if session.number in (2, 4, 6) and session.phase == "induction":
                    booker.place(
                        patient_id=course.patient_id,
                        day=session.day + timedelta(days=1),
                        latest_day=session.day + timedelta(days=4),
                        minutes=60,
                        kind=AppointmentType.INTEGRATION,
                        resources=[booker.therapy],
                        clinician=therapist,
                        prefer=rng.choice([9, 10, 11, 13, 14, 15]) * 60,
                        notes=rng.choice(INTEGRATION_NOTES),
                    )
        for day in course.follow_up_days:
            telehealth = rng.random() < 0.3
            booker.place(
                patient_id=course.patient_id,
                day=day,
                latest_day=day + timedelta(days=3),
                minutes=30,
                kind=AppointmentType.TELEHEALTH if telehealth else AppointmentType.FOLLOW_UP,
                resources=[None] if telehealth else [booker.consult],
                clinician=prescriber,
                prefer=rng.choice([8, 9, 12, 13, 16, 17]) * 60,
                notes=rng.choice(FOLLOW_UP_NOTES),
            )
    # Patients with no plan: new evaluations this week and next, results and pain follow-ups.
    evaluated = set(
        Evaluation.objects.filter(patient__clinic=clinic).values_list("patient_id", flat=True)
    )
    others = list(Patient.objects.filter(clinic=clinic).exclude(pk__in=treated).order_by("mrn"))
    for patient in others:
        if patient.pk not in evaluated:
            day = calendar.monday + timedelta(days=rng.randint(0, 11))
            booker.place(
                patient_id=patient.pk,
                day=day,
                latest_day=day + timedelta(days=4),
                minutes=90,
                kind=AppointmentType.EVALUATION,
                resources=[booker.consult],
                clinician=prescriber,
                prefer=rng.choice([9, 10, 13, 14]) * 60,
                notes="Comprehensive evaluation (psychiatric and medical history, vitals).",
            )
        elif rng.random() < 0.5:
            day = calendar.start + timedelta(days=rng.randint(0, 40))
            telehealth = rng.random() < 0.4
            booker.place(
                patient_id=patient.pk,
                day=day,
                latest_day=day + timedelta(days=5),
                minutes=30,
                kind=AppointmentType.TELEHEALTH if telehealth else AppointmentType.FOLLOW_UP,
                resources=[None] if telehealth else [booker.consult],
                clinician=prescriber,
                prefer=rng.choice([11, 12, 16]) * 60,
                notes="Follow-up: evaluation results and the alternatives discussed.",
            )
    # Telehealth check-ins with the therapist, and integration for maintenance patients.
    for course in courses:
        if rng.random() < 0.25:
            day = calendar.start + timedelta(days=rng.randint(0, 40))
            telehealth = rng.random() < 0.5
            booker.place(
                patient_id=course.patient_id,
                day=day,
                latest_day=day + timedelta(days=5),
                minutes=45,
                kind=AppointmentType.TELEHEALTH if telehealth else AppointmentType.INTEGRATION,
                resources=[None] if telehealth else [booker.therapy],
                clinician=therapist,
                prefer=rng.choice([9, 10, 14, 15, 16]) * 60,
                notes="Therapist check-in between sessions.",
            )
    # Every open day of the current week has a morning check-in call at least.
    for day in calendar.week:
        if calendar.is_open(day) and not any(
            r.starts_at.astimezone(calendar.zone).date() == day for r in booker.rows
        ):
            for course in courses:
                if booker.place(
                    patient_id=course.patient_id,
                    day=day,
                    minutes=30,
                    kind=AppointmentType.TELEHEALTH,
                    resources=[None],
                    clinician=therapist,
                    prefer=9 * 60,
                    notes="Therapist check-in between sessions.",
                ):
                    break


def _set_statuses(
    rows: list[Appointment], calendar: Calendar, users: dict[str, User], rng: random.Random
) -> None:
    now = timezone.now()
    nurse = users[Role.NURSE]
    week_start = calendar.at(calendar.monday, 0)
    for row in sorted(rows, key=lambda r: r.starts_at):
        booked = min(row.starts_at - timedelta(days=rng.randint(3, 14)), now)
        row.created_at = row.updated_at = booked
        if row.ends_at <= now:
            row.status = AppointmentStatus.COMPLETED
            row.checked_in_at = row.starts_at - timedelta(minutes=rng.randint(2, 12))
            row.checked_in_by = nurse
            row.updated_at = row.ends_at
        elif row.starts_at <= now:
            row.status = AppointmentStatus.CHECKED_IN
            row.checked_in_at = row.starts_at - timedelta(minutes=rng.randint(2, 12))
            row.checked_in_by = nurse
            row.updated_at = row.checked_in_at
        elif rng.random() < 0.5 and row.starts_at - now < timedelta(days=4):
            row.status = AppointmentStatus.CONFIRMED
            row.confirmed_at = min(now, row.starts_at - timedelta(hours=rng.randint(20, 47)))
            row.confirmed_at = max(row.confirmed_at, booked)
            row.updated_at = row.confirmed_at
        else:
            row.status = AppointmentStatus.BOOKED
    # One no-show and one late cancellation in the past days of this week (else the last week).
    past = [
        r
        for r in sorted(rows, key=lambda r: r.starts_at, reverse=True)
        if r.status == AppointmentStatus.COMPLETED and r.type != AppointmentType.TREATMENT
    ]
    this_week = [r for r in past if r.starts_at >= week_start] or past
    if this_week:
        row = this_week[0]
        row.status = AppointmentStatus.NO_SHOW
        row.checked_in_at = row.checked_in_by = None
        row.status_reason = "Did not attend; phone and SMS unanswered, voicemail left."
    if len(this_week) > 1:
        row = this_week[1]
        row.status = AppointmentStatus.CANCELLED
        row.checked_in_at = row.checked_in_by = None
        row.status_reason = "Cancelled by the patient the evening before: childcare fell through."
    # A treatment session cancelled for illness and rebooked: the cancelled row the day before.
    for row in rows:
        if row.type != AppointmentType.TREATMENT or row.starts_at < week_start:
            continue
        before = (row.starts_at - timedelta(days=1)).astimezone(calendar.zone)
        if not calendar.is_open(before.date()) or row.starts_at - timedelta(days=1) > now:
            continue
        if before.date() < calendar.monday:
            continue
        rows.append(
            Appointment(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                clinic=row.clinic,
                patient_id=row.patient_id,
                type=row.type,
                starts_at=row.starts_at - timedelta(days=1),
                ends_at=row.ends_at - timedelta(days=1),
                resource=row.resource,
                clinician=row.clinician,
                plan_id=row.plan_id,
                phase=row.phase,
                session_number=row.session_number,
                series=row.series,
                status=AppointmentStatus.CANCELLED,
                status_reason="Patient unwell (fever 38.3 °C, sore throat): session postponed "
                "one day and rebooked.",
                created_by=row.created_by,
                created_at=row.created_at,
                updated_at=row.starts_at - timedelta(days=1, hours=14),
            )
        )
        break
