"""Reads of the controlled-substance log: running balance per lot and the discrepancies.

Only standing entries count (an entry superseded by a correction is shown, not counted). The
balance starts at the lot's first delivery (or the standing correction of it), adds every
later delivery received into the lot and takes out what was drawn and what was lost.
A discrepancy is one of: drawn ≠ given + wasted; drawn more than the vials opened hold (or not
the devices opened); the balance goes below zero; a loss (each is for the director's review:
inspectors look for them); an expired lot drawn for a session (wasting expired stock is not
one); a staff count that differs from the balance the log gives at that point; and, per
session, a dose given that the log does not account for or logs on another lot than the dose
record's, or an entry of the session that does not account for what it drew
(`session_log_problems`, checked before a session can be signed).

The director reviews each discrepancy (`DiscrepancyReview`): `discrepancies` gives the open
ones, `discrepancy_list` the open ones and the reviews apart, `all_discrepancies` every one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Sum
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments.models import DoseRecord, TreatmentSession
from ketacare.treatments.models_substances import (
    ROUTE_DRUG,
    DiscrepancyReview,
    DrugLot,
    EntryKind,
    SubstanceEntry,
)


@dataclass
class LedgerRow:
    entry: SubstanceEntry
    standing: bool
    balance_mg: Decimal | None  # after this entry (None for a superseded entry)
    problems: list[str] = field(default_factory=list)


def _mg(value: Decimal) -> str:
    return f"{value.normalize():f}"


def entry_problems(entry: SubstanceEntry, lot: DrugLot, on: date) -> list[str]:
    """What is wrong with one entry by itself (balance and count need the running log)."""
    problems = unaccounted(entry, lot)
    # Drawn for a patient after the expiry. Wasting expired stock (before a witness) is how it
    # leaves the clinic: no discrepancy, else every disposal would stay flagged for good.
    if entry.kind == EntryKind.USE and on > lot.expiry:
        problems.append(f"Lot {lot.lot_number} used after its expiry {lot.expiry:%Y-%m-%d}.")
    return problems


def unaccounted(entry: SubstanceEntry, lot: DrugLot) -> list[str]:
    """Where an entry does not account for what it drew: drawn ≠ given + wasted, (devices)
    not the devices opened, or (vials) more than the vials opened hold."""
    problems: list[str] = []
    if entry.kind in (EntryKind.USE, EntryKind.WASTE):
        if entry.drawn_mg != entry.given_mg + entry.wasted_mg:
            problems.append(
                f"Drawn {_mg(entry.drawn_mg)} mg ≠ given {_mg(entry.given_mg)} mg + wasted "
                f"{_mg(entry.wasted_mg)} mg."
            )
        if lot.is_device:
            problems += _device_problems(entry, lot)
        else:
            problems += _vial_problems(entry, lot)
    return problems


def _vial_problems(entry: SubstanceEntry, lot: DrugLot) -> list[str]:
    """A vial holds its size and no more: drawn beyond the vials opened came from somewhere the
    log does not say (another vial unrecorded, another lot, or a typo). Only when the vials
    opened were recorded: a part of one vial drawn needs no count."""
    held = lot.unit_mg * entry.units_opened
    if entry.units_opened and entry.drawn_mg > held:
        return [
            f"Drawn {_mg(entry.drawn_mg)} mg is more than the {entry.units_opened} vial(s) "
            f"opened hold ({_mg(lot.unit_mg)} mg each, {_mg(held)} mg)."
        ]
    return []


def _device_problems(entry: SubstanceEntry, lot: DrugLot) -> list[str]:
    """A nasal-spray device is used whole (28 mg, clinical.md §5a): the mg drawn is the devices
    opened times their size, else a device (or part of the record) is unaccounted for."""
    whole, part = divmod(entry.drawn_mg, lot.unit_mg)
    if part:
        return [
            f"Drawn {_mg(entry.drawn_mg)} mg is not a whole number of "
            f"{_mg(lot.unit_mg)} mg devices."
        ]
    if entry.units_opened and entry.units_opened != whole:
        return [
            f"{entry.units_opened} device(s) opened but {_mg(entry.drawn_mg)} mg drawn "
            f"({int(whole)} device(s))."
        ]
    return []


def change_mg(entry: SubstanceEntry, lot: DrugLot) -> Decimal:
    """What a standing entry does to the lot's balance: + received, − drawn, − lost; a count
    nothing. The corrected first delivery replaces the lot's first delivery as typed."""
    if entry.kind == EntryKind.RECEIVE:
        if entry.corrects_first_delivery:
            return entry.received_mg - lot.received_mg
        return entry.received_mg
    if entry.kind == EntryKind.LOSS:
        return -entry.lost_mg
    if entry.kind == EntryKind.COUNT:
        return Decimal(0)
    return -entry.drawn_mg


def loss_problem(entry: SubstanceEntry) -> str:
    return (
        f"Loss of {_mg(entry.lost_mg)} mg recorded ({entry.get_loss_cause_display().lower()}): "
        "for the director's review."
    )


def ledger(lot: DrugLot) -> list[LedgerRow]:
    """Every entry of the lot in order, with the running balance after each standing one."""
    zone = clinic_zone(lot.clinic)
    entries = list(
        SubstanceEntry.objects.filter(lot=lot)
        .select_related("by", "witness", "session__patient", "corrects")
        .prefetch_related("corrections")
        .order_by("at", "pk")
    )
    for entry in entries:
        entry.lot = lot  # the page shows the lot's unit on each receipt: no query per row
    superseded = {e.corrects_id for e in entries if e.corrects_id is not None}
    balance = lot.received_mg
    rows: list[LedgerRow] = []
    for entry in entries:
        if entry.pk in superseded:
            rows.append(LedgerRow(entry, standing=False, balance_mg=None))
            continue
        problems = entry_problems(entry, lot, entry.at.astimezone(zone).date())
        if entry.kind == EntryKind.COUNT:
            if entry.counted_mg is not None and entry.counted_mg != balance:
                problems.append(
                    f"Count {_mg(entry.counted_mg)} mg differs from the log's "
                    f"{_mg(balance)} mg by {_mg(entry.counted_mg - balance)} mg."
                )
        else:
            balance += change_mg(entry, lot)
            if entry.kind == EntryKind.LOSS:
                problems.append(loss_problem(entry))
            if balance < 0:
                problems.append(f"Balance below zero: {_mg(balance)} mg.")
        rows.append(LedgerRow(entry, standing=True, balance_mg=balance, problems=problems))
    return rows


def balance(lot: DrugLot) -> Decimal:
    """What the log says is left in the lot now (mg)."""
    rows = [r for r in ledger(lot) if r.standing and r.balance_mg is not None]
    return rows[-1].balance_mg if rows and rows[-1].balance_mg is not None else lot.received_mg


def first_delivery(rows: list[LedgerRow]) -> SubstanceEntry | None:
    """The standing correction of the lot's first delivery, if any."""
    return next(
        (
            r.entry
            for r in rows
            if r.standing and r.entry.kind == EntryKind.RECEIVE and r.entry.corrects_first_delivery
        ),
        None,
    )


def received_total(lot: DrugLot, rows: list[LedgerRow]) -> tuple[int, Decimal]:
    """Vials or devices and mg received into the lot by the standing log (`rows`: its
    ledger): the first delivery (as corrected) and every later one."""
    units, mg = lot.units_received, lot.received_mg
    for r in rows:
        if r.standing and r.entry.kind == EntryKind.RECEIVE:
            if r.entry.corrects_first_delivery:
                units -= lot.units_received
                mg -= lot.received_mg
            units += r.entry.units_received
            mg += r.entry.received_mg
    return units, mg


@dataclass(frozen=True)
class Discrepancy:
    lot: DrugLot
    entry: SubstanceEntry
    problem: str


@dataclass(frozen=True)
class ReviewedDiscrepancy:
    """A review and, while the ledger still gives its problem for its entry, that discrepancy
    (`current`); else the log has changed since (a correction, a balance that moved) and what
    the ledger gives now for the entry, if anything, is open again."""

    review: DiscrepancyReview
    current: bool


@dataclass(frozen=True)
class DiscrepancyList:
    open: list[Discrepancy]  # newest entry first
    reviewed: list[ReviewedDiscrepancy]  # newest review first


def all_discrepancies(clinic: Clinic) -> list[Discrepancy]:
    """Every problem the standing log gives now, reviewed or not, newest entry first."""
    found: list[Discrepancy] = []
    for lot in DrugLot.objects.filter(clinic=clinic).select_related("clinic"):
        for row in ledger(lot):
            found += [Discrepancy(lot, row.entry, p) for p in row.problems]
    found.sort(key=lambda d: d.entry.at, reverse=True)
    return found


def discrepancy_list(clinic: Clinic) -> DiscrepancyList:
    """The open discrepancies and the clinic's reviews: one query per lot (its ledger) and one
    for the reviews. A discrepancy is reviewed when a review names its entry and the exact
    problem text the ledger gives now: a text that changed is a new problem, so open."""
    found = all_discrepancies(clinic)
    reviews = list(
        DiscrepancyReview.objects.filter(clinic=clinic)
        .select_related("reviewed_by", "entry__lot", "entry__by")
        .order_by("-reviewed_at", "-pk")
    )
    done = {(r.entry_id, r.problem) for r in reviews}
    now = {(d.entry.pk, d.problem) for d in found}
    return DiscrepancyList(
        open=[d for d in found if (d.entry.pk, d.problem) not in done],
        reviewed=[ReviewedDiscrepancy(r, (r.entry_id, r.problem) in now) for r in reviews],
    )


@dataclass(frozen=True)
class MarkedRow:
    row: LedgerRow
    problems: list[tuple[str, DiscrepancyReview | None]]  # each with its review, if any
    open: bool  # a problem nobody has reviewed


def marked_rows(lot: DrugLot, rows: list[LedgerRow]) -> list[MarkedRow]:
    """The lot's ledger rows with each problem's review (one query): the lot page shows what
    was reviewed, and by whom, beside what is still open."""
    reviews = {
        (r.entry_id, r.problem): r
        for r in DiscrepancyReview.objects.filter(entry__lot=lot).select_related("reviewed_by")
    }
    marked = []
    for row in rows:
        pairs = [(p, reviews.get((row.entry.pk, p))) for p in row.problems]
        marked.append(MarkedRow(row, pairs, any(review is None for _, review in pairs)))
    return marked


def discrepancies(clinic: Clinic) -> list[Discrepancy]:
    """The open discrepancies: those the director has not reviewed (as the ledger words them
    now), newest entry first."""
    return discrepancy_list(clinic).open


def current_problems(entry: SubstanceEntry) -> list[str]:
    """What the ledger gives now for one entry (none once it is superseded)."""
    return next((r.problems for r in ledger(entry.lot) if r.entry.pk == entry.pk), [])


def lots_for_route(clinic: Clinic, drug: str, *, include_expired: bool = False) -> list[DrugLot]:
    """The lots to offer. By default the lots a dose may be drawn from: not expired and with
    stock left by the log (an emptied lot stayed first in the list, by expiry, and was picked
    out of habit: the wrong lot number on the dose record and the REMS form). With
    `include_expired`, every lot of the drug: the log records truthfully whatever was drawn."""
    lots = DrugLot.objects.filter(clinic=clinic, drug=drug)
    if include_expired:
        return list(lots.order_by("expiry", "lot_number"))
    today = timezone.now().astimezone(clinic_zone(clinic)).date()
    usable = list(lots.filter(expiry__gte=today).order_by("expiry", "lot_number"))
    # The balance by the standing log: what came in (later deliveries; a corrected first
    # delivery replaces the lot's own) less what was drawn and lost (a count moves nothing).
    sums = {
        row["lot"]: row
        for row in SubstanceEntry.objects.filter(lot__in=usable, corrections__isnull=True)
        .values("lot")
        .annotate(
            received=Sum("received_mg", output_field=_TOTAL),
            drawn=Sum("drawn_mg", output_field=_TOTAL),
            lost=Sum("lost_mg", output_field=_TOTAL),
        )
    }
    refirst = set(
        SubstanceEntry.objects.filter(
            lot__in=usable,
            corrections__isnull=True,
            kind=EntryKind.RECEIVE,
            corrects_first_delivery=True,
        ).values_list("lot", flat=True)
    )

    def left(lot: DrugLot) -> Decimal:
        row = sums.get(lot.pk) or {}
        first = Decimal(0) if lot.pk in refirst else lot.received_mg
        return first + (row.get("received") or 0) - (row.get("drawn") or 0) - (row.get("lost") or 0)

    return [lot for lot in usable if left(lot) > 0]


# A lot's totals over its life can pass what one entry's column holds (9 digits): read them
# wider (SQLite rounds a sum to its output field's digits and fails beyond them).
_TOTAL: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)


def session_log_problems(session: TreatmentSession) -> list[str]:
    """Where a session's dose record and the controlled-substance log disagree: a dose given
    with no "drawn for a session" entry, entries on another lot than the one the dose record
    was drawn from (or names, when the lot number was typed), entries whose amounts given add
    up to another amount, and an entry that does not account for what it drew (drawn ≠ given +
    wasted, devices opened ≠ mg drawn, more drawn than the vials opened hold). Checked only at
    a clinic that keeps this drug's log here (it has received a lot of it) or when the session
    has entries. Superseded entries do not count (their corrections do). Once the session is
    signed nothing here can be corrected, so signing waits for all of it."""
    standing = list(
        SubstanceEntry.objects.filter(session=session, corrections__isnull=True)
        .select_related("lot", "lot__clinic")
        .order_by("at", "pk")
    )
    # Amounts drawn but neither given nor wasted before a witness: unaccounted for.
    zone = clinic_zone(session.clinic)
    own = [
        f"Log entry of {e.at.astimezone(zone):%H:%M} on lot {e.lot.lot_number}: {p}"
        for e in standing
        for p in unaccounted(e, e.lot)
    ]
    uses = [e for e in standing if e.kind == EntryKind.USE]
    dose = (
        DoseRecord.objects.filter(session=session)
        .values("given_mg", "drug_lot_id", "lot_number")
        .first()
    )
    given = (dose["given_mg"] if dose else None) or Decimal(0)
    logged = sum((e.given_mg for e in uses), Decimal(0))
    # The dose record names the lot it was drawn from (chosen from this log, or typed): entries
    # on another lot leave both lots' balances wrong.
    drawn_from = dose["drug_lot_id"] if dose else None
    if drawn_from is not None:
        elsewhere = sorted({e.lot.lot_number for e in uses if e.lot_id != drawn_from})
    else:
        typed = str(dose["lot_number"] if dose else "").strip().casefold()
        elsewhere = sorted(
            {e.lot.lot_number for e in uses if typed and e.lot.lot_number.casefold() != typed}
        )
    if elsewhere and given:
        named = (
            DrugLot.objects.filter(pk=drawn_from).values_list("lot_number", flat=True).first()
            if drawn_from is not None
            else str(dose["lot_number"] if dose else "")
        )
        return [
            f"The dose record was drawn from lot {named}, the controlled-substance log from "
            f"lot {', '.join(elsewhere)}: correct whichever is wrong.",
            *own,
        ]
    if not uses:
        # Only where the clinic keeps this drug's log here: a clinic logging its ketamine vials
        # but not its esketamine devices has no device lot to record against, and the session
        # could never be signed.
        drug = ROUTE_DRUG.get(session.route)
        kept = DrugLot.objects.filter(clinic_id=session.clinic_id)
        if drug is not None:
            kept = kept.filter(drug=drug)
        if given == 0 or not kept.exists():
            return own
        return [
            f"No entry in the controlled-substance log for the {_mg(given)} mg given: record "
            "the vial or devices drawn for this session.",
            *own,
        ]
    if logged != given:
        return [
            f"The controlled-substance log records {_mg(logged)} mg given to this patient, the "
            f"dose record {_mg(given)} mg: correct whichever is wrong.",
            *own,
        ]
    return own
