"""Writing the controlled-substance log: receive a lot (and later deliveries of it), record
what a session drew, gave and wasted, waste outside a session, record a loss, count the stock,
correct an entry by a new one, and the director's review of a discrepancy.

Each action owns its transaction, locks the lot row (so two nurses drawing from one lot at
once keep the balance right), refuses bad input naming the field, and writes an audit entry
`treatments.substances.<verb>`. Waste and a loss need a second staff witness: another active
nurse or prescriber of the same clinic who confirms with their own password on the same form
(after as many wrong passwords for one witness as the sign-in page allows, or while the sign-in
page has that account locked, the witness is refused for the sign-in page's lockout time).
A loss also tells the clinic's director (in-app notice): each is for their review, which the
director (or admin) records with `do_review_discrepancy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.clinical.protocols import ESKETAMINE_DEVICE_MG
from ketacare.core.reasons import FLOOR, is_few_words
from ketacare.treatments.locking import lock_row, refuse_if_locked
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.models_monitoring import StaffNotice
from ketacare.treatments.models_substances import (
    ROUTE_DRUG,
    DrugLot,
    EntryKind,
    LossCause,
    LotDrug,
    SubstanceEntry,
    plain,
)
from ketacare.treatments.substance_ledger import balance, ledger, received_total
from ketacare.treatments.substance_witness import (
    WitnessLockedOut,
    WitnessRefused,
    check_witness,
    witness_attempts,
)

# One cap for every mg amount of the log, typed or worked out from vials / devices: what its
# columns hold (SubstanceEntry's *_mg: 9 digits, 2 decimals). Beyond it PostgreSQL refuses the
# row (a 500) and SQLite stores a number that fails every later read of the log (append-only:
# for good). A smaller, "plausible" cap refused true counts of large lots (300 × 500 mg).
MAX_MG = Decimal("9999999.99")
# Plausibility bounds, not clinical limits: ketamine injection comes at 10-100 mg/mL in vials
# of a few mL; beyond these a number is a typo (and would not fit the log's columns: a 500 on
# PostgreSQL).
MAX_MG_PER_ML = Decimal("1000")
MAX_VIAL_ML = Decimal("100")


def _audit(actor: Actor, clinic: Clinic, verb: str, obj: Any, **detail: Any) -> None:
    # A review's patient is its entry's (a dose's entry names its session).
    session = getattr(obj, "session", None) or getattr(getattr(obj, "entry", None), "session", None)
    record(
        actor,
        f"treatments.substances.{verb}",
        object_type=type(obj).__name__.lower(),
        object_id=obj.pk,
        patient_id=session.patient_id if session is not None else None,
        clinic_id=clinic.pk,
        detail=detail,
    )


def _amount(name: str, value: Any, *, required: bool = False) -> Decimal:
    if value in (None, ""):
        if required:
            raise ActionError(name, f"{name}: enter an amount in mg.")
        return Decimal(0)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ActionError(name, f"{name}: enter a number of mg.") from None
    if not number.is_finite() or number < 0:
        raise ActionError(name, f"{name}: enter zero or more mg.")
    if number > MAX_MG:
        raise ActionError(name, f"{name}: {plain(number)} mg is not possible: check it.")
    if number != number.quantize(Decimal("0.01")):
        raise ActionError(name, f"{name}: at most two decimals.")
    return number


MAX_UNITS = 10000  # vials or devices in one entry: beyond it a number is a typo


def _count(name: str, value: Any, *, minimum: int = 0) -> int:
    if value in (None, ""):
        if minimum:
            raise ActionError(name, f"{name}: enter a whole number of at least {minimum}.")
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ActionError(name, f"{name}: enter a whole number.") from None
    if number < minimum or number > MAX_UNITS:
        raise ActionError(name, f"{name}: enter a whole number from {minimum} to {MAX_UNITS}.")
    return number


def _units_mg(name: str, lot: DrugLot, units: int) -> Decimal:
    """The mg of `units` of the lot's vials or devices, refused naming the field when it would
    not fit the log's columns."""
    mg = lot.unit_mg * units
    if mg > MAX_MG:
        raise ActionError(
            name,
            f"{name}: {units} × {plain(lot.unit_mg)} mg = {plain(mg)} mg is not possible: "
            "check it.",
        )
    return mg


def _units_held(name: str, lot: DrugLot, units: int, what: str) -> None:
    """Refuse more vials or devices than were ever received into the lot (every delivery, as
    corrected): a typo, not stock. (What is left is not the bound: a balance taken below zero
    is recorded and flagged, the log records what happened.)"""
    if not units:
        return
    received, _ = received_total(lot, ledger(lot))
    if units > received:
        noun = ("device" if lot.is_device else "vial") + ("" if received == 1 else "s")
        raise ActionError(
            name,
            f"{name}: lot {lot.lot_number} has received {received} {noun} in all; "
            f"{units} cannot have been {what}.",
        )


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise ActionError("user", "The controlled-substance log needs a signed-in person.")
    return actor.user_id


def _text(data: Mapping[str, Any], name: str) -> str:
    return str(data.get(name) or "").strip()


# --- lots -----------------------------------------------------------------------------------


def do_receive_lot(actor: Actor, clinic: Clinic, data: Mapping[str, Any]) -> DrugLot:
    drug = _text(data, "drug")
    if drug not in LotDrug.values:
        raise ActionError("drug", "Choose the drug.")
    lot_number = _text(data, "lot_number")
    if not lot_number:
        raise ActionError("lot_number", "Enter the lot number.")
    expiry = data.get("expiry")
    if not isinstance(expiry, date):
        raise ActionError("expiry", "Enter the expiry date.")
    units = _count("units_received", data.get("units_received"), minimum=1)
    concentration = None
    unit_ml = None
    if drug == LotDrug.ESKETAMINE_DEVICE:
        unit_mg = Decimal(ESKETAMINE_DEVICE_MG)
    else:
        concentration = _amount(
            "concentration_mg_per_ml", data.get("concentration_mg_per_ml"), required=True
        )
        unit_ml = _amount("unit_ml", data.get("unit_ml"), required=True)
        if concentration <= 0:
            raise ActionError("concentration_mg_per_ml", "Enter the concentration in mg/mL.")
        if concentration > MAX_MG_PER_ML:
            raise ActionError(
                "concentration_mg_per_ml", f"{plain(concentration)} mg/mL is not possible."
            )
        if unit_ml <= 0:
            raise ActionError("unit_ml", "Enter the vial size in mL.")
        if unit_ml > MAX_VIAL_ML:
            raise ActionError("unit_ml", f"A vial of {plain(unit_ml)} mL is not possible.")
        unit_mg = (concentration * unit_ml).quantize(Decimal("0.01"))
    lot_mg = unit_mg * units
    if lot_mg > MAX_MG:
        raise ActionError(
            "units_received", f"{plain(lot_mg)} mg received is not possible: check it."
        )
    with transaction.atomic():
        if DrugLot.objects.filter(clinic=clinic, drug=drug, lot_number=lot_number).exists():
            # Another delivery of a lot is received into it, on purpose (a mistyped lot
            # number must not add stock to another lot unseen).
            raise ActionError(
                "lot_number",
                f"Lot {lot_number} is already in the log: record this delivery with "
                "“Receive more of this lot” on the lot's page.",
            )
        lot = DrugLot.objects.create(
            clinic=clinic,
            drug=drug,
            concentration_mg_per_ml=concentration,
            unit_ml=unit_ml,
            unit_mg=unit_mg,
            lot_number=lot_number,
            expiry=expiry,
            units_received=units,
            received_by_id=_user_id(actor),
            note=_text(data, "note"),
            reference=_text(data, "reference")[:120],
        )
        _audit(actor, clinic, "lot_received", lot, lot=lot_number, units=units)
    return lot


def _received_mg(lot: DrugLot, units: int, replaces: Decimal = Decimal(0)) -> Decimal:
    """The mg of `units` received into the lot, refused when the lot would then hold more than
    a count can record (`replaces`: what a correction takes the place of)."""
    mg = lot.unit_mg * units
    if mg > MAX_MG or balance(lot) - replaces + mg > MAX_MG:
        raise ActionError("units_received", f"{plain(mg)} mg received is not possible: check it.")
    return mg


def _receive_into(
    actor: Actor, clinic: Clinic, lot: DrugLot, data: Mapping[str, Any], units: int
) -> SubstanceEntry:
    """A later delivery of a lot already in the log (the lot row is locked by the caller)."""
    now = timezone.now()
    entry = SubstanceEntry.objects.create(
        clinic=clinic,
        lot=lot,
        kind=EntryKind.RECEIVE,
        units_received=units,
        received_mg=_received_mg(lot, units),
        reference=_text(data, "reference")[:120],
        note=_text(data, "note"),
        by_id=_user_id(actor),
        at=now,
    )
    _audit(
        actor,
        clinic,
        "received",
        entry,
        lot=lot.lot_number,
        units=units,
        mg=str(entry.received_mg),
        reference=entry.reference,
    )
    return entry


def do_receive_more(
    actor: Actor, clinic: Clinic, lot_id: Any, data: Mapping[str, Any]
) -> SubstanceEntry:
    """Another delivery of a lot already in the log: added to its balance."""
    units = _count("units_received", data.get("units_received"), minimum=1)
    with transaction.atomic():
        lot = _lot(clinic, lot_id)
        return _receive_into(actor, clinic, lot, data, units)


def _lot(clinic: Clinic, lot_id: Any, *, lock: bool = True) -> DrugLot:
    try:
        key = int(str(lot_id))
    except ValueError:
        raise ActionError("lot", "Choose a lot.") from None
    qs = DrugLot.objects.filter(clinic=clinic, pk=key).select_related("clinic")
    found = (qs.select_for_update() if lock else qs).first()
    if found is None:
        raise ActionError("lot", "No such lot in this clinic.")
    return found


def lot_for_dose(session: TreatmentSession, lot_id: Any) -> DrugLot:
    """The lot a dose is drawn from: this clinic's, the session's drug, not expired."""
    lot = _lot(session.clinic, lot_id, lock=False)
    wanted = ROUTE_DRUG.get(session.route)
    if wanted is not None and lot.drug != wanted:
        raise ActionError("lot", f"Lot {lot.lot_number} is not {LotDrug(wanted).label}.")
    return lot


# --- the witness ----------------------------------------------------------------------------


# --- entries --------------------------------------------------------------------------------


def _amounts(lot: DrugLot, data: Mapping[str, Any]) -> tuple[int, Decimal, Decimal, Decimal]:
    units = _count("units_opened", data.get("units_opened"))
    _units_held("units_opened", lot, units, "opened")
    drawn = _amount("drawn_mg", data.get("drawn_mg"))
    if drawn == 0 and lot.is_device and units:
        drawn = _units_mg("units_opened", lot, units)
    if drawn <= 0:
        raise ActionError("drawn_mg", "Enter the amount drawn in mg.")
    given = _amount("given_mg", data.get("given_mg"))
    wasted = _amount("wasted_mg", data.get("wasted_mg"))
    return units, drawn, given, wasted


def _new_entry(
    actor: Actor,
    clinic: Clinic,
    lot: DrugLot,
    kind: str,
    data: Mapping[str, Any],
    session: TreatmentSession | None,
    **extra: Any,
) -> SubstanceEntry:
    units, drawn, given, wasted = _amounts(lot, data)
    if kind == EntryKind.WASTE:
        given, wasted = Decimal(0), drawn
    witness = None
    if wasted > 0:
        witness = check_witness(
            clinic, actor, _text(data, "witness_email"), str(data.get("witness_password") or "")
        )
    now = timezone.now()
    return SubstanceEntry.objects.create(
        clinic=clinic,
        lot=lot,
        kind=kind,
        session=session,
        units_opened=units,
        drawn_mg=drawn,
        given_mg=given,
        wasted_mg=wasted,
        witness=witness,
        witnessed_at=now if witness else None,
        note=_text(data, "note"),
        by_id=_user_id(actor),
        at=now,
        **extra,
    )


def do_record_use(
    actor: Actor, session: TreatmentSession, data: Mapping[str, Any]
) -> SubstanceEntry:
    """What this session drew from a lot, gave and wasted."""
    with witness_attempts(actor, session.clinic_id, data, session.patient_id):
        return _record_use(actor, session, data)


def _record_use(actor: Actor, session: TreatmentSession, data: Mapping[str, Any]) -> SubstanceEntry:
    with transaction.atomic():
        session = lock_row(session)
        if session.dosing_started_at is None:
            raise ActionError("lot", "Record the drug used once the dose has started.")
        lot = _lot(session.clinic, data.get("lot"))
        wanted = ROUTE_DRUG.get(session.route)
        if wanted is not None and lot.drug != wanted:
            raise ActionError("lot", f"Lot {lot.lot_number} is not {LotDrug(wanted).label}.")
        entry = _new_entry(actor, session.clinic, lot, EntryKind.USE, data, session)
        _audit(
            actor,
            session.clinic,
            "used",
            entry,
            lot=lot.lot_number,
            drawn=str(entry.drawn_mg),
            given=str(entry.given_mg),
            wasted=str(entry.wasted_mg),
            witness=entry.witness_id,
        )
    return entry


def do_record_waste(actor: Actor, clinic: Clinic, data: Mapping[str, Any]) -> SubstanceEntry:
    """Waste outside a session (a broken vial, a dropped device), with a witness."""
    with witness_attempts(actor, clinic.pk, data):
        return _record_waste(actor, clinic, data)


def _record_waste(actor: Actor, clinic: Clinic, data: Mapping[str, Any]) -> SubstanceEntry:
    with transaction.atomic():
        lot = _lot(clinic, data.get("lot"))
        if not _text(data, "note"):
            raise ActionError("note", "Say what happened.")
        entry = _new_entry(actor, clinic, lot, EntryKind.WASTE, data, None)
        _audit(actor, clinic, "wasted", entry, lot=lot.lot_number, wasted=str(entry.wasted_mg))
    return entry


def _loss_fields(lot: DrugLot, data: Mapping[str, Any]) -> tuple[str, int, Decimal, str]:
    """Cause, vials or devices lost, mg lost and what happened, checked."""
    cause = _text(data, "loss_cause")
    if cause not in LossCause.values:
        raise ActionError("loss_cause", "Choose what the loss was (breakage, spill, …).")
    units = _count("units_opened", data.get("units_opened"))
    _units_held("units_opened", lot, units, "lost")
    lost = _amount("lost_mg", data.get("lost_mg"))
    if lost == 0 and units:
        lost = _units_mg("units_opened", lot, units)
    if lost <= 0:
        raise ActionError("lost_mg", "Enter the amount lost in mg (or the vials / devices).")
    if lot.is_device:
        whole, part = divmod(lost, lot.unit_mg)
        if part or (units and units != whole):
            raise ActionError(
                "lost_mg",
                f"A device is lost whole: {plain(lost)} mg is not the devices lost "
                f"({plain(lot.unit_mg)} mg each).",
            )
        units = int(whole)
    note = _text(data, "note")
    if not is_few_words(note):
        raise ActionError("note", f"Say what happened: {FLOOR}.")
    return cause, units, lost, note


def _review_notices(clinic: Clinic, entry: SubstanceEntry, lot: DrugLot) -> list[int]:
    """Tell the clinic's directors (else its admins: who answer for the registration) of a
    loss, in the app; returns whom."""
    people: list[int] = []
    for role in (Role.DIRECTOR, Role.ADMIN):
        people = list(
            Membership.objects.filter(
                clinic=clinic, role=role, is_active=True, user__is_active=True
            ).values_list("user_id", flat=True)
        )
        if people:
            break
    message = (
        f"Controlled-substance loss for your review: lot {lot.lot_number} "
        f"({lot.get_drug_display()}), {plain(entry.lost_mg)} mg, "
        f"{entry.get_loss_cause_display().lower()} — {entry.note} "
        f"(log entry #{entry.pk}{', a correction' if entry.corrects_id else ''})."
    )
    StaffNotice.objects.bulk_create(
        [StaffNotice(clinic=clinic, user_id=pk, message=message) for pk in people]
    )
    return people


def do_record_loss(actor: Actor, clinic: Clinic, data: Mapping[str, Any]) -> SubstanceEntry:
    """A loss found (breakage, spill, a count short, theft suspected): taken out of the lot's
    balance, witnessed, and for the director's review. A balance it takes below zero stays
    flagged, not refused: the log records what happened."""
    with witness_attempts(actor, clinic.pk, data):
        return _record_loss(actor, clinic, data)


def _new_loss(
    actor: Actor, clinic: Clinic, lot: DrugLot, data: Mapping[str, Any], **extra: Any
) -> SubstanceEntry:
    cause, units, lost, note = _loss_fields(lot, data)
    witness = check_witness(
        clinic,
        actor,
        _text(data, "witness_email"),
        str(data.get("witness_password") or ""),
        what="loss",
    )
    now = timezone.now()
    entry = SubstanceEntry.objects.create(
        clinic=clinic,
        lot=lot,
        kind=EntryKind.LOSS,
        loss_cause=cause,
        units_opened=units,
        lost_mg=lost,
        witness=witness,
        witnessed_at=now,
        note=note,
        by_id=_user_id(actor),
        at=extra.pop("at", now),
        **extra,
    )
    return entry


def _record_loss(actor: Actor, clinic: Clinic, data: Mapping[str, Any]) -> SubstanceEntry:
    with transaction.atomic():
        lot = _lot(clinic, data.get("lot"))
        entry = _new_loss(actor, clinic, lot, data)
        told = _review_notices(clinic, entry, lot)
        _audit(
            actor,
            clinic,
            "loss_recorded",
            entry,
            lot=lot.lot_number,
            cause=entry.loss_cause,
            lost=str(entry.lost_mg),
            witness=entry.witness_id,
            notified=told,
        )
    return entry


def do_record_count(actor: Actor, clinic: Clinic, data: Mapping[str, Any]) -> SubstanceEntry:
    """A staff count of what is left in a lot; a difference from the log is a discrepancy."""
    with transaction.atomic():
        lot = _lot(clinic, data.get("lot"))
        if data.get("counted_units") not in (None, ""):
            counted = _units_mg(
                "counted_units", lot, _count("counted_units", data.get("counted_units"))
            )
            counted += _amount("counted_mg", data.get("counted_mg"))
            if counted > MAX_MG:
                raise ActionError(
                    "counted_units", f"{plain(counted)} mg counted is not possible: check it."
                )
        else:
            counted = _amount("counted_mg", data.get("counted_mg"), required=True)
        expected = balance(lot)
        if abs(expected) > MAX_MG:
            # Only a log drawn far below zero gets here: the count could not be stored.
            raise ActionError(
                "lot",
                f"Lot {lot.lot_number}: the log's balance of {plain(expected)} mg cannot be "
                "counted against; correct its entries first.",
            )
        entry = SubstanceEntry.objects.create(
            clinic=clinic,
            lot=lot,
            kind=EntryKind.COUNT,
            counted_mg=counted,
            expected_mg=expected,
            note=_text(data, "note"),
            by_id=_user_id(actor),
            at=timezone.now(),
        )
        _audit(
            actor,
            clinic,
            "counted",
            entry,
            lot=lot.lot_number,
            counted=str(counted),
            expected=str(expected),
        )
    return entry


def do_correct_entry(
    actor: Actor, clinic: Clinic, entry_id: Any, data: Mapping[str, Any]
) -> SubstanceEntry:
    """A new entry that replaces a standing one; the original is kept, superseded."""
    with witness_attempts(actor, clinic.pk, data):
        return _correct_entry(actor, clinic, entry_id, data)


def _correct_entry(
    actor: Actor, clinic: Clinic, entry_id: Any, data: Mapping[str, Any]
) -> SubstanceEntry:
    reason = _text(data, "correction_reason")
    if not reason:
        raise ActionError("correction_reason", "Say why the entry is corrected.")
    try:
        key = int(str(entry_id))
    except ValueError:
        raise ActionError("entry", "No such entry.") from None
    with transaction.atomic():
        original = SubstanceEntry.objects.select_for_update().filter(clinic=clinic, pk=key).first()
        if original is None:
            raise ActionError("entry", "No such entry in this clinic's log.")
        session = original.session
        if session is not None:
            session = lock_row(session)
        if original.corrections.exists():
            raise ActionError("entry", "This entry is already corrected; correct the newest one.")
        lot = _lot(clinic, data.get("lot") or original.lot_id)
        if session is not None:
            wanted = ROUTE_DRUG.get(session.route)
            if wanted is not None and lot.drug != wanted:
                raise ActionError("lot", f"Lot {lot.lot_number} is not {LotDrug(wanted).label}.")
        if original.kind == EntryKind.RECEIVE:
            if original.corrects_first_delivery and lot.pk != original.lot_id:
                raise ActionError("lot", "The first delivery is corrected on its own lot.")
            units = _count("units_received", data.get("units_received"), minimum=1)
            entry = SubstanceEntry.objects.create(
                clinic=clinic,
                lot=lot,
                kind=EntryKind.RECEIVE,
                units_received=units,
                received_mg=_received_mg(
                    lot,
                    units,
                    replaces=(original.received_mg if lot.pk == original.lot_id else Decimal(0)),
                ),
                corrects_first_delivery=original.corrects_first_delivery,
                reference=_text(data, "reference")[:120] or original.reference,
                note=_text(data, "note") or original.note,
                corrects=original,
                correction_reason=reason,
                by_id=_user_id(actor),
                at=original.at,
            )
        elif original.kind == EntryKind.LOSS:
            data = {
                **data,
                "note": _text(data, "note") or original.note,
                "loss_cause": _text(data, "loss_cause") or original.loss_cause,
            }
            entry = _new_loss(
                actor,
                clinic,
                lot,
                data,
                corrects=original,
                correction_reason=reason,
                at=original.at,
            )
            _review_notices(clinic, entry, lot)
        elif original.kind == EntryKind.COUNT:
            counted = _amount("counted_mg", data.get("counted_mg"), required=True)
            entry = SubstanceEntry.objects.create(
                clinic=clinic,
                lot=lot,
                kind=EntryKind.COUNT,
                counted_mg=counted,
                expected_mg=original.expected_mg,
                note=_text(data, "note") or original.note,
                corrects=original,
                correction_reason=reason,
                by_id=_user_id(actor),
                at=original.at,
            )
        else:
            # The note (for a waste: what happened) stays unless retyped.
            data = {**data, "note": _text(data, "note") or original.note}
            entry = _new_entry(
                actor,
                clinic,
                lot,
                original.kind,
                data,
                session,
                corrects=original,
                correction_reason=reason,
            )
            # The correction takes the original's place in the running order.
            SubstanceEntry.objects.filter(pk=entry.pk).update(at=original.at)
            entry.at = original.at
        _audit(actor, clinic, "corrected", entry, corrects=original.pk, reason=reason)
    return entry


def do_correct_first_delivery(
    actor: Actor, clinic: Clinic, lot_id: Any, data: Mapping[str, Any]
) -> SubstanceEntry:
    """The right quantity of a lot's first delivery (mistyped when the lot was received): a
    `receive` entry that replaces it in the balance; the lot keeps what was typed. Corrected
    again by correcting that entry."""
    reason = _text(data, "correction_reason")
    if not reason:
        raise ActionError("correction_reason", "Say why the entry is corrected.")
    units = _count("units_received", data.get("units_received"), minimum=1)
    with transaction.atomic():
        lot = _lot(clinic, lot_id)
        if SubstanceEntry.objects.filter(
            lot=lot, kind=EntryKind.RECEIVE, corrects_first_delivery=True
        ).exists():
            raise ActionError(
                "entry", "The first delivery is already corrected; correct the newest one."
            )
        entry = SubstanceEntry.objects.create(
            clinic=clinic,
            lot=lot,
            kind=EntryKind.RECEIVE,
            units_received=units,
            received_mg=_received_mg(lot, units, replaces=lot.received_mg),
            corrects_first_delivery=True,
            reference=_text(data, "reference")[:120] or lot.reference,
            note=_text(data, "note"),
            correction_reason=reason,
            by_id=_user_id(actor),
            at=lot.received_at,
        )
        _audit(
            actor,
            clinic,
            "corrected",
            entry,
            corrects="first_delivery",
            lot=lot.lot_number,
            units_before=lot.units_received,
            units=units,
            reason=reason,
        )
    return entry


def session_entries(session: TreatmentSession) -> list[SubstanceEntry]:
    return list(
        session.substance_entries.select_related("lot", "by", "witness", "corrects")
        .prefetch_related("corrections")
        .order_by("at", "pk")
    )


__all__ = [
    "WitnessLockedOut",
    "WitnessRefused",
    "check_witness",
    "do_correct_entry",
    "do_correct_first_delivery",
    "do_receive_lot",
    "do_receive_more",
    "do_record_count",
    "do_record_loss",
    "do_record_use",
    "do_record_waste",
    "lot_for_dose",
    "refuse_if_locked",
    "session_entries",
]
