"""Demo controlled-substance log: the drug lots a demo clinic received and a ledger that
accounts for every dose its completed demo sessions gave.

`load_substances` (once, inside `load_demo`, after the clinic's chair history) works out the
stock a clinic would have needed, then writes it through the real actions of
`treatments.substance_actions`, in time order, so every rule, row lock and audit entry
applies:

- three stock lines, each feeding one route: ketamine 50 mg/mL 10 mL vials (IV), ketamine
  100 mg/mL 5 mL vials (IM, small volume) and esketamine 28 mg nasal devices; a new lot is
  received a few days before the previous one runs out; the IV line's current lot is
  short-dated (expires within 30 days) and a replacement lot arrived a few days ago, unused,
  in two deliveries of the same lot a day apart (the second "received into the lot");
- one "drawn for a session" entry per completed session that gave drug, on the lot its dose
  record now names (`DoseRecord.drug_lot`, lot number, expiry and concentration are set to
  it, as the dose form's lot select does), given = the dose recorded; vials are multi-dose:
  a vial is opened when the one in use cannot cover the draw, and its remainder is wasted at
  its 28-day beyond-use date or when the lot's last vial is too low for the next dose; now
  and then an excess or a contaminated syringe is wasted within the session;
- every waste is witnessed by another nurse or prescriber of the clinic, confirmed with the
  demo password by the action's own `check_witness`; one dropped esketamine device per clinic;
- a count of every stocked lot at the first session of each month and after the last
  session, all matching except two: one monthly count half-way through the history (an
  opened vial misread 0.2 mL short, recounted at once and matching), which the director has
  reviewed through `do_review_discrepancy` ("explained"), and the count after the last
  session (an opened vial short by 0.3 mL), left open, so the page's open discrepancy list
  has one line and its reviewed list one.

The actions stamp everything "now": the entries, lots and the review are then back-dated to
when they happened (as the other demo modules back-date what their actions made); the audit
entries keep the time of loading. Deterministic for a given `rng`. Lot numbers are made up, and
every lot's note says it is fictional.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments.models import ACTIVE_SESSION_STATUSES, DoseRecord, TreatmentSession
from ketacare.treatments.models_substances import (
    DiscrepancyReview,
    DrugLot,
    LotDrug,
    ReviewOutcome,
    SubstanceEntry,
)
from ketacare.treatments.substance_actions import (
    do_receive_lot,
    do_receive_more,
    do_record_count,
    do_record_use,
    do_record_waste,
)
from ketacare.treatments.substance_ledger import current_problems
from ketacare.treatments.substance_review import do_review_discrepancy

# USP <797>: an opened multi-dose vial is used for at most 28 days unless the label says
# otherwise; what is left then is wasted.
BEYOND_USE = timedelta(days=28)
SHORT_ML = Decimal("0.3")  # the open count discrepancy: an opened vial this short
MISREAD_ML = Decimal("0.2")  # the reviewed one: an opened vial misread this short, recounted
REVIEW_NOTE = (
    "Recounted at once with a second nurse: matches the log. The open vial's level was "
    "misread at the first count; no stock missing."
)
EXPIRING_SOON_DAYS = (12, 26)  # the IV line's current lot: inside the page's 30-day horizon
LOT_NOTE = "Fictional demo lot: the lot number and supplier invoice are made up."
# The share of session draws with a waste (excess drawn up, a contaminated syringe). Each
# waste runs the witness's password check (Argon2, ~0.3 s), so it is kept to what a clinic
# drawing exact doses from multi-dose vials would see.
SESSION_WASTE_SHARE = 0.015
# (note, whether the whole first syringe went to waste; else 0.2 mL drawn over the dose)
WASTE_REASONS = (
    ("Excess drawn up wasted before the witness.", False),
    (
        "Syringe contaminated (cap dropped) after drawing up; re-drawn, first syringe wasted.",
        True,
    ),
)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One kind of stock, feeding one route."""

    key: str
    drug: str
    route: str
    prefix: str  # of the made-up lot numbers
    unit_mg: Decimal
    concentration: Decimal | None = None
    unit_ml: Decimal | None = None
    pack: int = 5  # lots are ordered in multiples of this many vials or devices

    @property
    def is_device(self) -> bool:
        return self.drug == LotDrug.ESKETAMINE_DEVICE


LINES = (
    Line(
        "ket50", LotDrug.KETAMINE_VIAL, "iv_racemic", "KT5", Decimal(500), Decimal(50), Decimal(10)
    ),
    Line(
        "ket100", LotDrug.KETAMINE_VIAL, "im_racemic", "KT1", Decimal(500), Decimal(100), Decimal(5)
    ),
    Line("esk", LotDrug.ESKETAMINE_DEVICE, "esketamine_nasal", "ESK", Decimal(28), pack=6),
)


@dataclass(eq=False)
class Lot:
    """A lot as planned; `obj` once the action has received it."""

    line: Line
    units: int
    received_at: datetime
    later_units: int = 0  # a second delivery of the same lot
    unopened: int = 0
    last_used: datetime | None = None
    left_mg: Decimal = Decimal(0)  # after the whole history
    lot_number: str = ""
    expiry: date | None = None
    obj: DrugLot | None = None

    def __post_init__(self) -> None:
        self.unopened = self.units


@dataclass
class Event:
    at: datetime
    kind: str  # receive | receive_more | count | waste | use
    lot: Lot | None = None
    session: TreatmentSession | None = None
    units_opened: int = 0
    drawn: Decimal = Decimal(0)
    given: Decimal = Decimal(0)
    wasted: Decimal = Decimal(0)
    note: str = ""
    final: bool = False  # the closing count


@dataclass
class Plan:
    """What a clinic's log will hold, before any of it is written."""

    lots: list[Lot] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dose_lots: list[tuple[DoseRecord, Lot]] = field(default_factory=list)


def _local(zone: ZoneInfo, day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _units_for(mg: Decimal, line: Line) -> int:
    """Whole packs covering `mg`."""
    units = math.ceil(mg / line.unit_mg)
    return max(line.pack, math.ceil(units / line.pack) * line.pack)


class _Stock:
    """One line's lots and the vial in use while the history is played through."""

    def __init__(self, line: Line, plan: Plan, rng: random.Random, zone: ZoneInfo) -> None:
        self.line, self.plan, self.rng, self.zone = line, plan, rng, zone
        self.lots: list[Lot] = []
        self.open_mg = Decimal(0)  # left in the opened vial
        self.opened_at: datetime | None = None
        self.last_at: datetime | None = None

    def _receive(self, units: int, before: datetime) -> Lot:
        day = (before - timedelta(days=self.rng.randint(3, 9))).astimezone(self.zone).date()
        received = _local(self.zone, day, 10, self.rng.choice([15, 30, 45]))
        if self.lots:  # never before the previous lot
            received = max(received, self.lots[-1].received_at + timedelta(days=1))
        lot = Lot(self.line, units, min(received, before - timedelta(hours=1)))
        self.lots.append(lot)
        self.plan.lots.append(lot)
        self.plan.events.append(Event(lot.received_at, "receive", lot))
        return lot

    def _next_lot(self, at: datetime, still_needed: Decimal) -> Lot:
        """The first lot covers about half the history's need (so it runs out and the next
        one is received); a later one covers the rest with a third to spare."""
        share = Decimal("0.55") if not self.lots else Decimal("1.35")
        return self._receive(_units_for(still_needed * share, self.line), at)

    def _waste_before(self, lot: Lot, at: datetime, note: str) -> None:
        """Waste the opened vial's remainder shortly before `at` (after the last entry)."""
        when = at - timedelta(minutes=20)
        if self.last_at is not None and when <= self.last_at:
            when = self.last_at + (at - self.last_at) / 2
        self.plan.events.append(
            Event(when, "waste", lot, drawn=self.open_mg, wasted=self.open_mg, note=note)
        )
        lot.last_used = when
        self.open_mg = Decimal(0)

    def draw(self, at: datetime, mg: Decimal, still_needed: Decimal) -> tuple[Lot, int]:
        """Take `mg` for a session at `at`: the lot it comes from and the units opened."""
        if self.line.is_device:
            return self._devices(at, mg, still_needed)
        lot = self.lots[-1] if self.lots else self._next_lot(at, still_needed)
        if self.open_mg > 0 and self.opened_at is not None and at - self.opened_at > BEYOND_USE:
            self._waste_before(
                lot, at, "Opened vial past its 28-day beyond-use date: remainder wasted."
            )
        if self.open_mg + lot.unopened * self.line.unit_mg < mg:
            if self.open_mg > 0:
                self._waste_before(
                    lot, at, "Last vial of the lot too low for the next dose: remainder wasted."
                )
            lot = self._next_lot(at, still_needed)
        opened = 0
        while self.open_mg < mg:
            lot.unopened -= 1
            self.open_mg += self.line.unit_mg
            self.opened_at = at
            opened += 1
        self.open_mg -= mg
        self.last_at = lot.last_used = at
        return lot, opened

    def _devices(self, at: datetime, mg: Decimal, still_needed: Decimal) -> tuple[Lot, int]:
        devices = int(mg / self.line.unit_mg)
        lot = next((lot for lot in self.lots if lot.unopened >= devices), None)
        if lot is None:
            lot = self._next_lot(at, still_needed)
        lot.unopened -= devices
        self.last_at = lot.last_used = at
        return lot, devices


def _sessions(clinic: Clinic) -> list[TreatmentSession]:
    return list(
        TreatmentSession.objects.filter(
            clinic=clinic, dose__given_mg__gt=0, route__in=[line.route for line in LINES]
        )
        .exclude(status__in=ACTIVE_SESSION_STATUSES)
        .select_related("dose")
        .order_by("dosing_started_at", "pk")
    )


def _use_time(session: TreatmentSession, rng: random.Random) -> datetime:
    """When the nurse logs the draw: once the dose is under way (the action's own rule)."""
    dose = session.dose
    if session.is_esketamine:
        return (dose.stopped_at or dose.started_at) + timedelta(minutes=rng.randint(2, 8))
    return dose.started_at + timedelta(minutes=rng.randint(3, 9))


def _at_least_one_session_waste(
    draws: list[tuple[TreatmentSession, datetime, Decimal, Decimal, str]],
    stocks: dict[str, _Stock],
    rng: random.Random,
) -> None:
    """The share above leaves a small clinic's history without any waste inside a session
    on some days; the demo always shows one (witnessed), on a racemic session picked by the
    same seeded generator."""
    racemic = [i for i, d in enumerate(draws) if not d[0].is_esketamine]
    if not racemic or any(draws[i][3] > 0 for i in racemic):
        return
    index = rng.choice(racemic)
    session, at, given, _, _ = draws[index]
    line = stocks[session.route].line
    assert line.concentration is not None
    note = WASTE_REASONS[0][0]
    draws[index] = (session, at, given, line.concentration * Decimal("0.2"), note)


def plan_log(
    clinic: Clinic, sessions: list[TreatmentSession], rng: random.Random, now: datetime
) -> Plan:
    """Play the history through the stock: lots, draws, wastes and count times, in memory."""
    zone = clinic_zone(clinic)
    today = now.astimezone(zone).date()
    plan = Plan()
    stocks = {line.route: _Stock(line, plan, rng, zone) for line in LINES}
    draws: list[tuple[TreatmentSession, datetime, Decimal, Decimal, str]] = []
    for s in sessions:
        given = s.dose.given_mg
        wasted, note = Decimal(0), ""
        if not s.is_esketamine and rng.random() < SESSION_WASTE_SHARE:
            note, whole = rng.choice(WASTE_REASONS)
            line = stocks[s.route].line
            assert line.concentration is not None
            wasted = given if whole else line.concentration * Decimal("0.2")
        draws.append((s, _use_time(s, rng), given, wasted, note))
    _at_least_one_session_waste(draws, stocks, rng)
    needed: dict[str, Decimal] = {}
    for s, _, given, wasted, _ in draws:
        needed[s.route] = needed.get(s.route, Decimal(0)) + given + wasted
    for s, at, given, wasted, note in draws:
        stock = stocks[s.route]
        lot, opened = stock.draw(at, given + wasted, needed[s.route])
        needed[s.route] -= given + wasted
        plan.events.append(
            Event(
                at,
                "use",
                lot,
                session=s,
                units_opened=opened,
                drawn=given + wasted,
                given=given,
                wasted=wasted,
                note=note,
            )
        )
        plan.dose_lots.append((s.dose, lot))
    # One dropped esketamine device per clinic, from a lot with devices to spare at the end
    # (so it had them then too), half an hour after a session that used that lot.
    esk = stocks["esketamine_nasal"]
    spare = next((lot for lot in reversed(esk.lots) if lot.unopened >= 1), None)
    if spare is not None:
        uses = [e for e in plan.events if e.kind == "use" and e.lot is spare]
        pick = uses[len(uses) // 3]
        spare.unopened -= 1
        plan.events.append(
            Event(
                pick.at + timedelta(minutes=30),
                "waste",
                spare,
                units_opened=1,
                drawn=esk.line.unit_mg,
                wasted=esk.line.unit_mg,
                note="Device dropped and cracked before use; wasted.",
            )
        )
    # The IV line's current lot is short-dated: a replacement lot arrived a few days ago.
    iv = stocks["iv_racemic"]
    if iv.lots:
        day = today - timedelta(days=rng.randint(3, 6))
        reserve = Lot(iv.line, iv.line.pack, _local(zone, day, 10, 30), later_units=iv.line.pack)
        iv.lots.append(reserve)
        plan.lots.append(reserve)
        plan.events.append(Event(reserve.received_at, "receive", reserve))
        # The rest of the order came the next day: received into the same lot.
        plan.events.append(
            Event(reserve.received_at + timedelta(days=1, hours=1), "receive_more", reserve)
        )
    for lot in plan.lots:
        drawn = sum((e.drawn for e in plan.events if e.lot is lot), Decimal(0))
        lot.left_mg = lot.line.unit_mg * (lot.units + lot.later_units) - drawn
    _expiries(plan, iv.lots[-2] if len(iv.lots) >= 2 else None, today, rng)
    _lot_numbers(plan, rng)
    # Counts: before the first session of each month, and after the last session.
    months: dict[tuple[int, int], datetime] = {}
    for s in sessions:
        local = s.dose.started_at.astimezone(zone)
        months.setdefault((local.year, local.month), s.dose.started_at - timedelta(minutes=40))
    plan.events += [Event(at, "count", note="Monthly count.") for at in months.values()]
    last = max(e.at for e in plan.events)
    closing = min(last + timedelta(minutes=40), now - timedelta(minutes=5))
    plan.events.append(Event(closing, "count", note="Count after the last session.", final=True))
    order = {"receive": 0, "receive_more": 0, "count": 1, "waste": 2, "use": 3}
    plan.events.sort(key=lambda e: (e.at, order[e.kind]))
    return plan


def _expiries(plan: Plan, short_dated: Lot | None, today: date, rng: random.Random) -> None:
    for lot in plan.lots:
        if lot is short_dated:
            lot.expiry = today + timedelta(days=rng.randint(*EXPIRING_SOON_DAYS))
        elif lot.left_mg == 0 or (
            lot.last_used and lot.last_used.date() < today - timedelta(days=60)
        ):
            # Used up, or a few devices left over from months ago: not near its expiry.
            lot.expiry = today + timedelta(days=rng.randint(120, 420))
        else:
            lot.expiry = today + timedelta(days=rng.randint(200, 640))


def _lot_numbers(plan: Plan, rng: random.Random) -> None:
    """Made-up lot numbers shaped like real ones, unique across the demo (the isolation test
    looks for one clinic's numbers on the other's page)."""
    taken = set(DrugLot.objects.values_list("lot_number", flat=True))
    for lot in plan.lots:
        made = lot.received_at - timedelta(days=rng.randint(90, 300))
        while True:
            number = (
                f"{lot.line.prefix}-{made:%y}{'ABCDEFGHJKLM'[made.month - 1]}"
                f"{rng.randint(100, 999)}"
            )
            if number not in taken:
                break
        taken.add(number)
        lot.lot_number = number


def _recording_staff(clinic: Clinic) -> list[User]:
    """Active nurses and prescribers of the clinic: who may record and witness."""
    memberships = Membership.objects.filter(
        clinic=clinic, is_active=True, user__is_active=True
    ).select_related("user")
    return sorted(
        (m.user for m in memberships if has_perm(m, Perm.SUBSTANCE_RECORD)),
        key=lambda u: u.email,
    )


def _actor(user: User, clinic: Clinic) -> Actor:
    role = (
        Membership.objects.filter(user=user, clinic=clinic).values_list("role", flat=True).first()
    )
    return Actor(user_id=user.pk, label=user.email, role=role or "", clinic_id=clinic.pk)


def load_substances(
    clinic: Clinic,
    rng: random.Random,
    progress: Callable[[str], None] = lambda _: None,
) -> int:
    """Lots and the controlled-substance log for the clinic's completed demo sessions."""
    from ketacare.demo.loader import DEMO_PASSWORD  # the loader imports this module

    now = timezone.now()
    staff = _recording_staff(clinic)
    nurse = next(u for u in staff if u.email.startswith(f"{Role.NURSE}@"))
    others = [u for u in staff if u.pk != nurse.pk]
    actors = {u.pk: _actor(u, clinic) for u in staff}
    sessions = _sessions(clinic)
    plan = plan_log(clinic, sessions, rng, now)
    # The one count that does not match: a vial lot in use at the end.
    in_use = [
        lot
        for lot in plan.lots
        if not lot.line.is_device and lot.last_used is not None and lot.left_mg >= lot.line.unit_mg
    ]
    short_lot = rng.choice(in_use) if in_use else None

    # The reviewed count discrepancy: the monthly count half-way through (no draw from `rng`:
    # the rest of the demo stays as it was), on the first vial lot it counts.
    monthly = [e for e in plan.events if e.kind == "count" and not e.final]
    misread_at: Event | None = monthly[len(monthly) // 2] if len(monthly) >= 2 else None
    misread: SubstanceEntry | None = None

    left: dict[int, Decimal] = {}  # the log's balance per lot, as it is written
    dated: list[tuple[SubstanceEntry, datetime]] = []
    for event in plan.events:
        lot = event.lot
        if event.kind == "receive":
            assert lot is not None and lot.expiry is not None
            by = rng.choice(staff)
            lot.obj = do_receive_lot(
                actors[by.pk],
                clinic,
                {
                    "drug": lot.line.drug,
                    "lot_number": lot.lot_number,
                    "expiry": lot.expiry,
                    "units_received": lot.units,
                    "concentration_mg_per_ml": lot.line.concentration,
                    "unit_ml": lot.line.unit_ml,
                    "note": LOT_NOTE,
                },
            )
            DrugLot.objects.filter(pk=lot.obj.pk).update(received_at=lot.received_at)
            left[lot.obj.pk] = lot.obj.received_mg
            continue
        if event.kind == "receive_more":
            assert lot is not None and lot.obj is not None
            entry = do_receive_more(  # no draw from `rng`: the rest of the demo stays as it was
                actors[nurse.pk],
                clinic,
                lot.obj.pk,
                {
                    "units_received": lot.later_units,
                    "reference": f"INV-{lot.lot_number[-3:]}-2 (fictional)",
                    "note": "Second delivery of the same lot: the rest of the order.",
                },
            )
            left[lot.obj.pk] += entry.received_mg
            dated.append((entry, event.at))
            continue
        if event.kind == "count":
            for planned in plan.lots:
                if planned.obj is None or left[planned.obj.pk] <= 0:
                    continue
                counted = left[planned.obj.pk]
                note = event.note
                if event.final and planned is short_lot:
                    assert planned.line.concentration is not None
                    counted -= planned.line.concentration * SHORT_ML
                    note = (
                        f"Opened vial reads about {SHORT_ML} mL below the log; reported to the "
                        "director, under review."
                    )
                recount = event is misread_at and misread is None and not planned.line.is_device
                if recount:
                    assert planned.line.concentration is not None
                    counted -= planned.line.concentration * MISREAD_ML
                    note = (
                        f"Monthly count: the open vial reads about {MISREAD_ML} mL below the log."
                    )
                entry = do_record_count(
                    actors[nurse.pk],
                    clinic,
                    {"lot": planned.obj.pk, "counted_mg": str(counted), "note": note},
                )
                dated.append((entry, event.at))
                if recount:
                    misread = entry
                    again = do_record_count(
                        actors[nurse.pk],
                        clinic,
                        {
                            "lot": planned.obj.pk,
                            "counted_mg": str(left[planned.obj.pk]),
                            "note": "Recount with a second nurse after the short count.",
                        },
                    )
                    dated.append((again, event.at + timedelta(minutes=10)))
            continue
        assert lot is not None and lot.obj is not None
        # Mostly the nurse records and a prescriber witnesses; now and then the other way.
        by = nurse if rng.random() < 0.8 or not others else rng.choice(others)
        witness = rng.choice(others) if by.pk == nurse.pk else nurse
        data: dict[str, Any] = {
            "lot": lot.obj.pk,
            "units_opened": event.units_opened,
            "drawn_mg": str(event.drawn.quantize(CENT)),
            "given_mg": str(event.given.quantize(CENT)),
            "wasted_mg": str(event.wasted.quantize(CENT)),
            "note": event.note,
        }
        if event.wasted > 0:
            data |= {"witness_email": witness.email, "witness_password": DEMO_PASSWORD}
        if event.kind == "use":
            assert event.session is not None
            entry = do_record_use(actors[by.pk], event.session, data)
        else:
            entry = do_record_waste(actors[by.pk], clinic, data)
        left[lot.obj.pk] -= entry.drawn_mg
        dated.append((entry, event.at))

    # Back to when it happened (the actions stamp "now"; the order of writing was the order
    # of the history, so the running balances stay as the actions saw them).
    for entry, at in dated:
        entry.at = entry.recorded_at = at
        entry.witnessed_at = at if entry.witness_id else None
    SubstanceEntry.objects.bulk_update(
        [e for e, _ in dated], ["at", "recorded_at", "witnessed_at"], batch_size=100
    )
    if misread is not None:
        _review_misread(clinic, misread)
    # The dose records name the lot they were drawn from, as the dose form's lot select does.
    doses = []
    for dose, lot in plan.dose_lots:
        assert lot.obj is not None
        dose.drug_lot = lot.obj
        dose.lot_number = lot.obj.lot_number
        dose.expiry = lot.obj.expiry
        if lot.obj.concentration_mg_per_ml is not None:
            dose.concentration_mg_per_ml = lot.obj.concentration_mg_per_ml
        doses.append(dose)
    DoseRecord.objects.bulk_update(
        doses, ["drug_lot", "lot_number", "expiry", "concentration_mg_per_ml"], batch_size=100
    )
    progress(
        f"{clinic.name}: {len(plan.lots)} drug lots, {len(dated)} controlled-substance log entries"
    )
    return len(dated)


def _review_misread(clinic: Clinic, entry: SubstanceEntry) -> None:
    """The director's review of the misread count, through the action, once the log is
    back-dated (the problem text is the ledger's as it now stands); the next morning."""
    reviewer = (
        Membership.objects.filter(
            clinic=clinic, role__in=[Role.DIRECTOR, Role.ADMIN], is_active=True
        )
        .select_related("user")
        .order_by("-role")  # the director, else the admin
        .first()
    )
    if reviewer is None:
        return
    entry.refresh_from_db()
    (problem,) = current_problems(entry)
    review = do_review_discrepancy(
        _actor(reviewer.user, clinic),
        clinic,
        {
            "entry": entry.pk,
            "problem": problem,
            "outcome": ReviewOutcome.EXPLAINED,
            "note": REVIEW_NOTE,
        },
    )
    zone = clinic_zone(clinic)
    morning = _local(zone, entry.at.astimezone(zone).date() + timedelta(days=1), 9, 10)
    # A review is never edited by the app; the demo back-dates it as it does the log.
    DiscrepancyReview.objects.filter(pk=review.pk).update(reviewed_at=morning)


def remove_substances(clinics: QuerySet[Clinic]) -> None:
    """Delete the clinics' log and lots: `remove_demo` must call this before it deletes
    sessions, dose records, clinics or users, which the log and the lots protect."""
    DiscrepancyReview.objects.filter(clinic__in=clinics).delete()  # they protect the log
    entries = SubstanceEntry.objects.filter(clinic__in=clinics)
    while entries.exists():  # a correction protects the entry it corrects: newest first
        entries.filter(corrections__isnull=True).delete()
    DoseRecord.objects.filter(drug_lot__clinic__in=clinics).update(drug_lot=None)
    DrugLot.objects.filter(clinic__in=clinics).delete()
