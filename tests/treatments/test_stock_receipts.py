"""Controlled-substance log (issue 6 item 3): stock is added to and corrected. A second delivery
of a lot already in the log is received into it ("Receive more of this lot"), added to the
running balance, audited; a mistyped first delivery and a later delivery are corrected by a new
entry that keeps the original. Bad input is refused naming the field, nothing saved; another
clinic's lot cannot be touched."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models_substances import DrugLot, EntryKind, LotDrug, SubstanceEntry
from ketacare.treatments.substance_ledger import (
    balance,
    discrepancies,
    ledger,
    lots_for_route,
    received_total,
)
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.substance_helpers import device_lot, vial_lot

pytestmark = pytest.mark.django_db


def _receive_url(lot: DrugLot) -> str:
    return f"/chairs/substances/lots/{lot.pk}/receive/"


def test_a_second_delivery_is_added_to_the_lot_balance_and_audited(
    world: Any, as_user: Any
) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)  # 5 × 500 mg
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "drawn_mg": "35", "given_mg": "35"}
    )
    nurse = as_user(world.nurse_a)
    page = nurse.get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert 'data-testid="receive-more-form"' in page
    done = nurse.post(
        _receive_url(lot),
        {"units_received": "3", "reference": "INV-2231", "note": "second box, same lot"},
    )
    assert done.status_code == 302
    entry = SubstanceEntry.objects.get(kind=EntryKind.RECEIVE)
    assert (entry.units_received, entry.received_mg) == (3, Decimal("1500.00"))
    assert entry.by == world.nurse_a and entry.reference == "INV-2231"
    assert balance(lot) == Decimal("3965.00")  # 2500 − 35 + 1500
    assert [r.balance_mg for r in ledger(lot)] == [Decimal("2465.00"), Decimal("3965.00")]
    assert received_total(lot, ledger(lot)) == (8, Decimal("4000.00"))
    assert discrepancies(world.clinic_a) == []
    audit = AuditEntry.objects.get(action="treatments.substances.received")
    assert audit.object_id == str(entry.pk) and audit.clinic_id == world.clinic_a.pk
    assert audit.detail["reference"] == "INV-2231" and audit.detail["units"] == 3
    lot_page = nurse.get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert 'data-kind="receive"' in lot_page and "ref. INV-2231" in lot_page
    assert "+1500 mg" in lot_page
    stock = nurse.get("/chairs/substances/").content.decode()
    assert "8 (4000 mg) in 2 deliveries" in stock
    assert "<strong>3965 mg</strong>" in stock


def test_the_stock_page_sends_a_repeated_lot_number_to_receive_more(
    world: Any, as_user: Any
) -> None:
    vial_lot(world.nurse_a, world.clinic_a)
    page = as_user(world.nurse_a).post(
        "/chairs/substances/lots/",
        {
            "drug": "ketamine_vial",
            "lot_number": "KV-100",
            "expiry": "2099-01-01",
            "units_received": "4",
            "concentration_mg_per_ml": "50",
            "unit_ml": "10",
        },
    )
    body = page.content.decode()
    assert page.status_code == 400 and 'data-field="lot_number"' in body
    assert "Receive more of this lot" in body
    assert DrugLot.objects.count() == 1 and not SubstanceEntry.objects.exists()


def test_receive_more_refuses_bad_input_naming_the_field(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    nurse = as_user(world.nurse_a)
    for units in ("", "0", "abc", "-2"):
        page = nurse.post(_receive_url(lot), {"units_received": units, "reference": "INV-77"})
        body = page.content.decode()
        assert page.status_code == 400, units
        assert 'data-field="units_received"' in body, units
        assert 'value="INV-77"' in body, units  # what was typed is kept
    big = vial_lot(
        world.nurse_a,
        world.clinic_a,
        "KV-BIG",
        units=1,
        concentration_mg_per_ml=Decimal("1000"),
        unit_ml=Decimal("100"),
    )
    # Beyond what the log's columns hold (a count of it would fail on PostgreSQL): refused.
    for units in ("10000", "99"):  # 99 more of 100 g vials: 10 kg in the lot
        page = nurse.post(_receive_url(big), {"units_received": units})
        assert page.status_code == 400 and 'data-field="units_received"' in page.content.decode()
    assert not SubstanceEntry.objects.exists()
    assert not AuditEntry.objects.filter(action="treatments.substances.received").exists()


def test_a_mistyped_first_delivery_is_corrected_keeping_what_was_typed(
    world: Any, as_user: Any
) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, units=5)  # 4 vials came, 5 typed
    sa.do_record_count(actor(world.nurse_a), world.clinic_a, {"lot": lot.pk, "counted_units": 4})
    assert len(discrepancies(world.clinic_a)) == 1  # the count: 500 mg short
    nurse = as_user(world.nurse_a)
    url = f"/chairs/substances/lots/{lot.pk}/correct/"
    page = nurse.get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert "First delivery · 5 received (2500 mg)" in page
    refused = nurse.post(url, {"entry": "first", "units_received": "4"})
    assert refused.status_code == 400
    assert 'data-field="correction_reason"' in refused.content.decode()
    refused = nurse.post(url, {"entry": "first", "correction_reason": "invoice says four"})
    assert refused.status_code == 400
    assert 'data-field="units_received"' in refused.content.decode()
    assert not SubstanceEntry.objects.filter(kind=EntryKind.RECEIVE).exists()
    done = nurse.post(
        url, {"entry": "first", "units_received": "4", "correction_reason": "invoice says four"}
    )
    assert done.status_code == 302
    lot.refresh_from_db()
    assert lot.units_received == 5  # what was typed stays
    fix = SubstanceEntry.objects.get(kind=EntryKind.RECEIVE)
    assert fix.corrects_first_delivery and fix.received_mg == Decimal("2000.00")
    assert fix.at == lot.received_at
    assert balance(lot) == Decimal("2000.00")
    assert discrepancies(world.clinic_a) == []  # the count now matches the log
    audit = AuditEntry.objects.get(action="treatments.substances.corrected")
    assert audit.detail["corrects"] == "first_delivery"
    assert (audit.detail["units_before"], audit.detail["units"]) == (5, 4)
    page = nurse.get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert "<del>5 (2500 mg)</del> corrected to 4 (2000 mg)" in page
    assert "First delivery · 5 received" not in page  # not offered twice
    # Correcting it twice is refused; its correction is corrected like any entry.
    with pytest.raises(ActionError, match="already corrected"):
        sa.do_correct_first_delivery(
            actor(world.nurse_a),
            world.clinic_a,
            lot.pk,
            {"units_received": 6, "correction_reason": "again"},
        )
    again = sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        fix.pk,
        {"units_received": 6, "correction_reason": "a second invoice page"},
    )
    assert again.corrects == fix and again.corrects_first_delivery
    assert balance(lot) == Decimal("3000.00")
    rows = ledger(lot)
    assert [(r.entry.pk, r.standing) for r in rows][:2] == [(fix.pk, False), (again.pk, True)]


def test_a_later_delivery_is_corrected_by_a_new_entry(world: Any) -> None:
    lot = device_lot(world.nurse_a, world.clinic_a, units=6)  # 168 mg
    more = sa.do_receive_more(
        actor(world.nurse_a), world.clinic_a, lot.pk, {"units_received": 12, "reference": "D-9"}
    )
    assert balance(lot) == Decimal("504.00")
    with pytest.raises(ActionError) as err:
        sa.do_correct_entry(
            actor(world.nurse_a), world.clinic_a, more.pk, {"correction_reason": "6 not 12"}
        )
    assert err.value.field == "units_received"
    fixed = sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        more.pk,
        {"units_received": 6, "correction_reason": "6 not 12"},
    )
    more.refresh_from_db()
    assert more.units_received == 12  # untouched
    assert fixed.corrects == more and fixed.reference == "D-9" and fixed.at == more.at
    assert balance(lot) == Decimal("336.00")
    assert received_total(lot, ledger(lot)) == (12, Decimal("336.00"))


def test_receiving_more_puts_a_used_up_lot_back_on_the_dose_form(world: Any) -> None:
    lot = device_lot(world.nurse_a, world.clinic_a, "ES-2", units=2)
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"),
    )
    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "units_opened": 2, "given_mg": "56"}
    )
    assert lots_for_route(world.clinic_a, LotDrug.ESKETAMINE_DEVICE) == []
    sa.do_receive_more(actor(world.nurse_a), world.clinic_a, lot.pk, {"units_received": 6})
    assert lots_for_route(world.clinic_a, LotDrug.ESKETAMINE_DEVICE) == [lot]


def test_another_clinic_or_a_reader_cannot_receive_into_a_lot(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    other = as_user(world.clinician_b)
    assert other.get(f"/chairs/substances/lots/{lot.pk}/").status_code == 404
    assert other.post(_receive_url(lot), {"units_received": "2"}).status_code == 404
    with pytest.raises(ActionError, match="No such lot"):
        sa.do_receive_more(actor(world.clinician_b), world.clinic_b, lot.pk, {"units_received": 2})
    for reader in (world.director_a, world.therapist_a):
        assert as_user(reader).post(_receive_url(lot), {"units_received": "2"}).status_code == 403
    page = as_user(world.director_a).get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert 'data-testid="receive-more-form"' not in page
    # Nor correct its first delivery.
    first = {"entry": "first", "units_received": "9", "correction_reason": "more came"}
    correct = f"/chairs/substances/lots/{lot.pk}/correct/"
    assert other.post(correct, first).status_code == 404
    assert as_user(world.director_a).post(correct, first).status_code == 403
    with pytest.raises(ActionError, match="No such lot"):
        sa.do_correct_first_delivery(
            actor(world.clinician_b),
            world.clinic_b,
            lot.pk,
            {"units_received": 9, "correction_reason": "more came"},
        )
    assert not SubstanceEntry.objects.exists()
