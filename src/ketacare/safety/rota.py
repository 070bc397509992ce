"""Who should hear about a flag: the clinic's settings, who is on call when, the patient's
prescriber, the escalation list and the director."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.accounts.permissions import MATRIX, Perm
from ketacare.clinical.escalation import EscalationPolicy
from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import Patient
from ketacare.safety.escalation_models import (
    EscalationContact,
    OnCallOverride,
    OnCallSlot,
    SafetySettings,
    StaffAlertContact,
)
from ketacare.scheduling.models import Closure


def settings_for(clinic: Clinic) -> SafetySettings:
    """The clinic's safety settings; an unsaved default row when none were saved yet."""
    found = SafetySettings.objects.filter(clinic=clinic).select_related("director").first()
    return found or SafetySettings(clinic=clinic)


def policy_for(clinic: Clinic, saved: SafetySettings | None = None) -> EscalationPolicy:
    s = saved or settings_for(clinic)
    days = frozenset(int(c) for c in s.business_days if c.isdigit() and int(c) < 7)
    return EscalationPolicy(
        high_minutes=s.high_minutes,
        moderate_minutes=s.moderate_minutes,
        low_time=s.low_time,
        business_days=days,
    )


# Who may be paged about a flag: only people whose role in the clinic lets them acknowledge it
# (prescribers, nurses, therapists, directors). The settings forms choose among them, but a
# role changes later (a nurse moved to the front desk): every check below reads the role the
# person has now, so the front desk or the admin is never paged as on call, list or director.
PAGEABLE_ROLES = frozenset(MATRIX[Perm.SAFETY_FLAG_ACKNOWLEDGE])


def closed_dates(clinic: Clinic, start: date, days: int) -> frozenset[date]:
    """The clinic's closure dates (scheduling's `Closure`, inclusive) among the `days` days from
    `start`: the low rule does not count them as business days. One query."""
    end = start + timedelta(days=days - 1)
    found: set[date] = set()
    for starts_on, ends_on in Closure.objects.filter(
        clinic=clinic, starts_on__lte=end, ends_on__gte=start
    ).values_list("starts_on", "ends_on"):
        day = max(starts_on, start)
        while day <= min(ends_on, end):
            found.add(day)
            day += timedelta(days=1)
    return frozenset(found)


def _active_member(clinic: Clinic, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return User.objects.filter(
        pk=user_id, is_active=True, memberships__clinic=clinic, memberships__is_active=True
    ).exists()


def _works_here(clinic: Clinic, column: str = "user_id", *, pageable: bool = True) -> Exists:
    """Annotation: the user in `column` of the row is active and still works at the clinic
    (the row's own query answers it: no query per person); with `pageable` (the default),
    in a role that may acknowledge flags."""
    members = Membership.objects.filter(
        user_id=OuterRef(column), clinic=clinic, is_active=True, user__is_active=True
    )
    if pageable:
        members = members.filter(role__in=PAGEABLE_ROLES)
    return Exists(members)


def _pageable_member(clinic: Clinic, user_id: int | None) -> bool:
    """`user_id` is active, works at the clinic and may acknowledge flags there."""
    if user_id is None:
        return False
    return Membership.objects.filter(
        user_id=user_id,
        clinic=clinic,
        is_active=True,
        user__is_active=True,
        role__in=PAGEABLE_ROLES,
    ).exists()


def _covers(starts: time, ends: time, at: time) -> bool:
    if ends > starts:
        return starts <= at < ends
    return at >= starts  # runs past midnight: the part on its own day


def on_call_at(clinic: Clinic, when: datetime | None = None) -> list[User]:
    """Who is on call at `when` (clinic time). A dated override covering that time wins over
    the weekly rota; an override covers its own date only (00:00–00:00 = the whole day).

    Only people who still work at the clinic in a role that may acknowledge flags count: an
    override naming someone who has left (or moved to the front desk) does not blank out the
    weekly rota for its hours (nobody would be paged)."""
    local = timezone.localtime(when or timezone.now(), clinic_zone(clinic))
    day, at = local.date(), local.time()
    overrides = (
        OnCallOverride.objects.filter(clinic=clinic, on_date=day)
        .select_related("user")
        .annotate(works_here=_works_here(clinic))
    )
    chosen = [
        o.user
        for o in overrides
        if o.works_here and (o.starts == o.ends or _covers(o.starts, o.ends, at))
    ]
    return list(dict.fromkeys(chosen or _weekly(clinic, day.weekday(), at)))


def _active(clinic: Clinic, users: list[User]) -> list[User]:
    """`users` (once each, in order) who are active, still work at the clinic and may
    acknowledge flags there (the people the escalation can page): one query."""
    unique = list(dict.fromkeys(users))
    if not unique:
        return []
    working = set(
        Membership.objects.filter(
            user__in=unique,
            clinic=clinic,
            is_active=True,
            user__is_active=True,
            role__in=PAGEABLE_ROLES,
        ).values_list("user_id", flat=True)
    )
    return [u for u in unique if u.pk in working]


def _weekly(clinic: Clinic, weekday: int, at: time) -> list[User]:
    """Who the weekly rota puts on call (only those still working at the clinic, in a role
    that may acknowledge flags)."""
    yesterday = (weekday - 1) % 7
    chosen = []
    slots = (
        OnCallSlot.objects.filter(clinic=clinic)
        .select_related("user")
        .annotate(works_here=_works_here(clinic))
    )
    for slot in slots:
        if not slot.works_here:
            continue
        if (slot.weekday == weekday and _covers(slot.starts, slot.ends, at)) or (
            slot.weekday == yesterday and slot.ends <= slot.starts and at < slot.ends
        ):
            chosen.append(slot.user)
    return chosen


def patient_prescriber(patient: Patient, *, pageable: bool = False) -> User | None:
    """The prescriber responsible for the patient: who signed their current treatment plan,
    else who signed their latest eligibility evaluation. `pageable` (the escalation): only
    while their role in the clinic still lets them acknowledge a flag."""
    from ketacare.evaluations.models import Evaluation
    from ketacare.plans.models import PlanStatus, TreatmentPlan

    signer_of_plan = Subquery(
        TreatmentPlan.objects.filter(
            patient=patient,
            signed_by__isnull=False,
            status__in=[PlanStatus.ACTIVE, PlanStatus.ON_HOLD],
        )
        .order_by("-signed_at")
        .values("signed_by_id")[:1]
    )
    signer_of_evaluation = Subquery(
        Evaluation.objects.filter(patient=patient, signed_by__isnull=False)
        .order_by("-signed_at")
        .values("signed_by_id")[:1]
    )
    # One query: the two signers who still work at the clinic; the plan's signer first. The
    # plan's signer having left falls back to the evaluation's, never to an older plan's.
    found = list(
        User.objects.filter(Q(pk=signer_of_plan) | Q(pk=signer_of_evaluation))
        .filter(_works_here(patient.clinic, "pk", pageable=pageable))
        .annotate(signed_plan=ExpressionWrapper(Q(pk=signer_of_plan), BooleanField()))
    )
    return next((u for u in found if u.signed_plan), found[0] if found else None)


def escalation_list(clinic: Clinic) -> list[User]:
    """The clinic's escalation list in order, without people who left or whose role may no
    longer acknowledge flags."""
    rows = (
        EscalationContact.objects.filter(clinic=clinic)
        .select_related("user")
        .annotate(works_here=_works_here(clinic))
    )
    return [r.user for r in rows if r.works_here]


def director_of(clinic: Clinic) -> User | None:
    """The director named in the settings while they work at the clinic in a role that may
    acknowledge flags, else the clinic's (first) director by role (a role that may). None:
    nobody to page as director."""
    chosen = settings_for(clinic).director
    if chosen is not None and _pageable_member(clinic, chosen.pk):
        return chosen
    return (
        User.objects.filter(
            is_active=True,
            memberships__clinic=clinic,
            memberships__role=Role.DIRECTOR,
            memberships__is_active=True,
        )
        .order_by("pk")
        .first()
    )


WEEK_MINUTES = 7 * 1440


def _minute(weekday: int, at: time) -> int:
    return weekday * 1440 + at.hour * 60 + at.minute


def weekly_gaps(clinic: Clinic) -> list[tuple[int, time, int, time]]:
    """The hours of the week nobody on the weekly rota covers (people who left, or whose role
    may no longer acknowledge flags, do not count), as (weekday, from, weekday, to) in clinic
    time, Monday first. A flag raised in a gap reaches only the patient's prescriber, then the
    escalation list: the rota page says so. Dated overrides are not counted (they cover single
    dates)."""
    covered = [False] * WEEK_MINUTES
    slots = _slots(clinic)
    active = {u.pk for u in _active(clinic, [s.user for s in slots])}
    for slot in slots:
        if slot.user_id not in active:
            continue
        start = _minute(slot.weekday, slot.starts)
        length = (_minute(0, slot.ends) - _minute(0, slot.starts)) % 1440 or 1440
        for m in range(start, start + length):
            covered[m % WEEK_MINUTES] = True
    gaps: list[tuple[int, int]] = []
    m = 0
    while m < WEEK_MINUTES:
        if covered[m]:
            m += 1
            continue
        end = m
        while end < WEEK_MINUTES and not covered[end]:
            end += 1
        gaps.append((m, end))
        m = end
    if len(gaps) > 1 and gaps[0][0] == 0 and gaps[-1][1] == WEEK_MINUTES:
        gaps = [(gaps[-1][0], gaps[0][1] + WEEK_MINUTES), *gaps[1:-1]]  # Sunday into Monday
    return [(*_at(start % WEEK_MINUTES), *_at(end % WEEK_MINUTES)) for start, end in gaps]


def _at(minute: int) -> tuple[int, time]:
    day, rest = divmod(minute, 1440)
    return day, (datetime.min + timedelta(minutes=rest)).time()


def _slots(clinic: Clinic) -> list[OnCallSlot]:
    return list(OnCallSlot.objects.filter(clinic=clinic).select_related("user"))


def paged_without_mobile(clinic: Clinic, today: Any = None) -> list[User]:
    """People the escalation pages (weekly rota, dated changes from `today`, escalation list,
    director) who have no mobile number on file: they get an email and an in-app notice but
    no text message, which at night may reach nobody awake."""
    people = [s.user for s in _slots(clinic)]
    overrides = OnCallOverride.objects.filter(clinic=clinic).select_related("user")
    if today is not None:
        overrides = overrides.filter(on_date__gte=today)
    people += [o.user for o in overrides]
    people += escalation_list(clinic)
    director = director_of(clinic)
    if director is not None:
        people.append(director)
    paged = _active(clinic, people)
    with_mobile = set(
        StaffAlertContact.objects.filter(user__in=paged)
        .exclude(mobile="")
        .values_list("user_id", flat=True)
    )
    return [u for u in paged if u.pk not in with_mobile]
