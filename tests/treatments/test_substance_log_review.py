"""Review of the controlled-substance log (issue 6 item 3): amounts worked out from vials or
devices never pass what the log's columns hold (a number that did not fit was a 500 on
PostgreSQL and, stored by SQLite, broke every later page of the append-only log); one cap for
every mg amount, so a large lot's count can be corrected; a witness's password cannot be
guessed without end; a vial drawn beyond what the vials opened hold is a discrepancy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Role
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments import signing
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models_substances import DrugLot, EntryKind, SubstanceEntry
from ketacare.treatments.substance_ledger import (
    balance,
    ledger,
    lots_for_route,
    session_log_problems,
)
from tests.conftest import PASSWORD, make_staff
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.substance_helpers import device_lot, vial_lot
from tests.treatments.test_signing import _discharged

pytestmark = pytest.mark.django_db

WITNESS = {"witness_email": "prescriber@a.test", "witness_password": PASSWORD}
MG_COLUMNS = ("drawn_mg", "given_mg", "wasted_mg", "received_mg", "lost_mg", "counted_mg")


def _gram_vials(world: Any, units: int = 2, lot_number: str = "KV-G") -> DrugLot:
    """1000 mg/mL, 100 mL: the largest vial the log accepts (100 g)."""
    return vial_lot(
        world.nurse_a,
        world.clinic_a,
        lot_number,
        units=units,
        concentration_mg_per_ml=Decimal("1000"),
        unit_ml=Decimal("100"),
    )


def _pages_render(world: Any, client: Client, lot: DrugLot) -> None:
    assert client.get("/chairs/substances/").status_code == 200
    assert client.get(f"/chairs/substances/lots/{lot.pk}/").status_code == 200
    assert balance(lot) is not None and all(r.entry.pk for r in ledger(lot))


# --- amounts worked out from vials or devices ------------------------------------------------


def test_a_loss_of_more_vials_than_the_lot_received_is_refused_naming_the_field(
    world: Any, as_user: Any
) -> None:
    # 20 mg/mL, 50 mL: 1000 mg vials; 10,000 of them did not fit the column (10,000,000 mg).
    lot = vial_lot(
        world.nurse_a,
        world.clinic_a,
        units=2,
        concentration_mg_per_ml=Decimal("20"),
        unit_ml=Decimal("50"),
    )
    nurse = as_user(world.nurse_a)
    loss = {
        "lot": lot.pk,
        "loss_cause": "breakage",
        "note": "a shelf of vials fell down",
        **WITNESS,
    }
    for units in ("10000", "3"):
        page = nurse.post("/chairs/substances/loss/", loss | {"units_opened": units})
        body = page.content.decode()
        assert page.status_code == 400, units
        assert 'data-field="units_opened"' in body, units
        assert "has received 2 vials in all" in body, units
    assert not SubstanceEntry.objects.filter(kind=EntryKind.LOSS).exists()
    assert not AuditEntry.objects.filter(action="treatments.substances.loss_recorded").exists()
    _pages_render(world, nurse, lot)
    # What the lot did hold is recorded.
    assert nurse.post("/chairs/substances/loss/", loss | {"units_opened": "2"}).status_code == 302
    assert SubstanceEntry.objects.get(kind=EntryKind.LOSS).lost_mg == Decimal("2000.00")
    _pages_render(world, nurse, lot)


def test_too_many_vials_or_devices_are_refused_on_every_path(world: Any, as_user: Any) -> None:
    devices = device_lot(world.nurse_a, world.clinic_a, units=6)
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, "esketamine_nasal"),
    )
    nurse = actor(world.nurse_a)
    # Drawn for a session (through its page), wasted outside one, lost: more devices than
    # the lot ever received.
    page = as_user(world.nurse_a).post(
        f"/patients/{session.patient_id}/sessions/{session.pk}/substances/",
        {"lot": devices.pk, "units_opened": "10000", "given_mg": "56"},
    )
    assert page.status_code == 400
    assert 'data-field="units_opened"' in page.content.decode()
    with pytest.raises(ActionError) as refused:
        sa.do_record_waste(
            nurse,
            world.clinic_a,
            {"lot": devices.pk, "units_opened": 7, "note": "dropped"} | WITNESS,
        )
    assert refused.value.field == "units_opened"
    with pytest.raises(ActionError) as refused:
        sa.do_record_loss(
            nurse,
            world.clinic_a,
            {
                "lot": devices.pk,
                "units_opened": 7,
                "loss_cause": "breakage",
                "note": "box crushed in the delivery",
            }
            | WITNESS,
        )
    assert refused.value.field == "units_opened"
    # A correction of a loss, to more devices than received.
    lost = sa.do_record_loss(
        nurse,
        world.clinic_a,
        {
            "lot": devices.pk,
            "units_opened": 1,
            "loss_cause": "breakage",
            "note": "device cracked in the drawer",
        }
        | WITNESS,
    )
    with pytest.raises(ActionError) as refused:
        sa.do_correct_entry(
            nurse,
            world.clinic_a,
            lost.pk,
            {"units_opened": 10000, "correction_reason": "miscounted"} | WITNESS,
        )
    assert refused.value.field == "units_opened"
    assert SubstanceEntry.objects.count() == 1  # the first loss only


def test_a_receipt_or_count_beyond_the_columns_is_refused_naming_the_field(
    world: Any, as_user: Any
) -> None:
    nurse = as_user(world.nurse_a)
    # 100 vials of 100 g: 10,000,000 mg in one delivery.
    page = nurse.post(
        "/chairs/substances/lots/",
        {
            "drug": "ketamine_vial",
            "lot_number": "HUGE",
            "expiry": "2099-01-01",
            "units_received": "100",
            "concentration_mg_per_ml": "1000",
            "unit_ml": "100",
        },
    )
    assert page.status_code == 400
    assert 'data-field="units_received"' in page.content.decode()
    assert not DrugLot.objects.filter(lot_number="HUGE").exists()
    lot = _gram_vials(world)
    page = nurse.post("/chairs/substances/count/", {"lot": lot.pk, "counted_units": "100"})
    assert page.status_code == 400
    assert 'data-field="counted_units"' in page.content.decode()
    page = nurse.post("/chairs/substances/count/", {"lot": lot.pk, "counted_mg": "10000000"})
    assert page.status_code == 400
    assert 'data-field="counted_mg"' in page.content.decode()
    assert not SubstanceEntry.objects.exists()
    _pages_render(world, nurse, lot)


def test_vials_within_the_lot_but_beyond_the_columns_are_refused(world: Any, as_user: Any) -> None:
    """A lot emptied and filled again has received more vials than one entry's mg can hold:
    refused by the mg, naming the field, and the lot's totals still read on both databases."""
    lot = _gram_vials(world, units=99)  # 9,900,000 mg
    nurse = actor(world.nurse_a)
    for _ in range(2):
        sa.do_record_waste(
            nurse,
            world.clinic_a,
            {"lot": lot.pk, "drawn_mg": "9000000", "note": "returned to the supplier"} | WITNESS,
        )
        sa.do_receive_more(nurse, world.clinic_a, lot.pk, {"units_received": 90})
    # 279 vials received in all; 100 of them would be 10,000,000 mg.
    with pytest.raises(ActionError) as refused:
        sa.do_record_loss(
            nurse,
            world.clinic_a,
            {
                "lot": lot.pk,
                "units_opened": 100,
                "loss_cause": "breakage",
                "note": "a pallet dropped at the door",
            }
            | WITNESS,
        )
    assert refused.value.field == "units_opened"
    assert "is not possible" in refused.value.message
    # 18,000,000 mg received and wasted through the log: more than one column, still summed.
    assert lots_for_route(world.clinic_a, "ketamine_vial") == [lot]
    assert balance(lot) == Decimal("9900000")
    client = Client()
    client.force_login(world.nurse_a)
    _pages_render(world, client, lot)


# --- one cap for every mg amount -------------------------------------------------------------


def test_one_cap_for_every_mg_amount_is_what_the_columns_hold() -> None:
    for name in MG_COLUMNS:
        column = SubstanceEntry._meta.get_field(name)
        digits = column.max_digits - column.decimal_places  # type: ignore[attr-defined]
        assert Decimal(10) ** digits - Decimal("0.01") == sa.MAX_MG, name


def test_a_wrong_count_of_a_large_lot_is_corrected(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, units=300)  # 300 × 500 mg = 150,000 mg
    count = sa.do_record_count(
        actor(world.nurse_a), world.clinic_a, {"lot": lot.pk, "counted_units": 300}
    )
    assert count.counted_mg == Decimal("150000")
    page = as_user(world.nurse_a).post(
        f"/chairs/substances/lots/{lot.pk}/correct/",
        {"entry": count.pk, "counted_mg": "149500", "correction_reason": "one vial missed"},
    )
    assert page.status_code == 302
    fixed = SubstanceEntry.objects.get(corrects=count)
    assert fixed.counted_mg == Decimal("149500") and fixed.expected_mg == Decimal("150000")
    # Counted by mg as by vials, up to the same cap.
    sa.do_record_count(
        actor(world.nurse_a), world.clinic_a, {"lot": lot.pk, "counted_mg": "150000"}
    )
    with pytest.raises(ActionError) as refused:
        sa.do_correct_entry(
            actor(world.nurse_a),
            world.clinic_a,
            fixed.pk,
            {"counted_mg": "10000000", "correction_reason": "typo"},
        )
    assert refused.value.field == "counted_mg"


# --- the witness ------------------------------------------------------------------------------


def _waste(world: Any, password: str, email: str = "prescriber@a.test") -> SubstanceEntry:
    lot = DrugLot.objects.get(lot_number="KV-100")
    return sa.do_record_waste(
        actor(world.nurse_a),
        world.clinic_a,
        {
            "lot": lot.pk,
            "drawn_mg": "10",
            "note": "vial dropped on the floor",
            "witness_email": email,
            "witness_password": password,
        },
    )


def test_a_witness_is_locked_after_too_many_wrong_passwords(world: Any) -> None:
    vial_lot(world.nurse_a, world.clinic_a)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        for i in range(5):
            with pytest.raises(sa.WitnessRefused) as refused:
                _waste(world, f"guess-{i}")
            assert refused.value.field == "witness_password"
            clock.shift(timedelta(seconds=30))
        # The sixth is refused without the password being tried: even the right one.
        with pytest.raises(sa.WitnessLockedOut) as locked:
            _waste(world, PASSWORD)
        assert locked.value.field == "witness_email"
        message = locked.value.message
        assert "too many failed witness confirmations for this person" in message
        assert "choose another witness" in message
        # The five within the window (15 minutes) until the first of them leaves it.
        until = start + timedelta(minutes=15)
        zone = clinic_zone(world.clinic_a)
        assert f"try again after {until.astimezone(zone):%H:%M}" in message
        assert not SubstanceEntry.objects.exists()
        refused_trace = AuditEntry.objects.filter(
            action="treatments.substances.witness_refused", outcome="denied"
        )
        assert refused_trace.count() == 5
        assert {e.detail["witness_id"] for e in refused_trace} == {world.prescriber_a.pk}
        (trace,) = AuditEntry.objects.filter(action="treatments.substances.witness_locked_out")
        assert trace.outcome == "denied" and trace.actor_id == world.nurse_a.pk
        assert trace.detail["witness_id"] == world.prescriber_a.pk
        assert PASSWORD not in trace.canonical()
        # Another witness can still confirm.
        make_staff(world.clinic_a, Role.NURSE, "nurse2@a.test")
        other = _waste(world, PASSWORD, email="nurse2@a.test")
        assert other.witness is not None and other.witness.email == "nurse2@a.test"
        # Just before the window passes: still locked; then free again.
        clock.move_to(until - timedelta(seconds=1))
        with pytest.raises(sa.WitnessLockedOut):
            _waste(world, PASSWORD)
        clock.move_to(until)
        entry = _waste(world, PASSWORD)
    assert entry.witness == world.prescriber_a


def test_a_witness_lockout_is_shown_on_the_form(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    nurse = as_user(world.nurse_a)
    waste = {"lot": lot.pk, "drawn_mg": "10", "note": "vial dropped on the floor"}
    for i in range(5):
        page = nurse.post(
            "/chairs/substances/waste/",
            waste | {"witness_email": "prescriber@a.test", "witness_password": f"guess-{i}"},
        )
        assert page.status_code == 400
    page = nurse.post("/chairs/substances/waste/", waste | WITNESS)
    body = page.content.decode()
    assert page.status_code == 400
    assert 'data-field="witness_email"' in body
    assert "too many failed witness confirmations for this person" in body
    assert not SubstanceEntry.objects.exists()


def test_refusals_that_try_no_password_do_not_lock_a_witness(world: Any) -> None:
    vial_lot(world.nurse_a, world.clinic_a)
    for email in ("nobody@a.test", "director@a.test", "prescriber@b.test"):
        for _ in range(5):
            with pytest.raises(sa.WitnessRefused):
                _waste(world, "guess", email=email)
    assert _waste(world, PASSWORD).witness == world.prescriber_a


def test_a_witness_locked_at_the_sign_in_page_is_refused(world: Any) -> None:
    vial_lot(world.nurse_a, world.clinic_a)
    signin = Client()
    for _ in range(5):
        signin.post("/accounts/login/", {"username": "prescriber@a.test", "password": "guess"})
    with pytest.raises(sa.WitnessLockedOut) as locked:
        _waste(world, PASSWORD)
    assert locked.value.field == "witness_email"
    assert AuditEntry.objects.filter(action="treatments.substances.witness_locked_out").exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert _waste(world, PASSWORD).witness == world.prescriber_a


# --- vials drawn beyond what was opened ------------------------------------------------------


def test_drawing_more_than_the_vials_opened_hold_is_a_discrepancy(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, "LOT-1")  # 500 mg vials
    session = _discharged(world)
    given = str(session.dose.given_mg)
    drawn = {
        "drawn_mg": "1500",
        "given_mg": given,
        "wasted_mg": str(Decimal(1500) - Decimal(given)),
    }
    entry = sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "units_opened": 1} | drawn | WITNESS
    )
    problem = "Drawn 1500 mg is more than the 1 vial(s) opened hold (500 mg each, 500 mg)."
    assert problem in ledger(lot)[-1].problems
    assert any(problem in p for p in session_log_problems(session))
    with pytest.raises(ActionError) as refused:
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    assert refused.value.field == "sign"
    # Corrected to the three vials opened: accounted for, and the session signs.
    sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        entry.pk,
        {"units_opened": 3, "correction_reason": "three vials opened"} | drawn | WITNESS,
    )
    assert ledger(lot)[-1].problems == []
    assert session_log_problems(session) == []
    signing.do_sign(actor(world.nurse_a), session, "nurse")


def test_a_correct_vial_entry_still_signs(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, "LOT-1")
    session = _discharged(world)
    given = str(session.dose.given_mg)
    sa.do_record_use(
        actor(world.nurse_a),
        session,
        {"lot": lot.pk, "units_opened": 1, "drawn_mg": given, "given_mg": given},
    )
    assert session_log_problems(session) == []
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    signing.do_sign(actor(world.prescriber_a), session, "prescriber")
    session.refresh_from_db()
    assert session.locked_at is not None


def test_waste_beyond_the_vial_is_flagged_and_part_of_one_is_not(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    sa.do_record_waste(
        actor(world.nurse_a),
        world.clinic_a,
        {"lot": lot.pk, "units_opened": 1, "drawn_mg": "600", "note": "spilled"} | WITNESS,
    )
    sa.do_record_waste(
        actor(world.nurse_a),
        world.clinic_a,
        {"lot": lot.pk, "drawn_mg": "20", "note": "rest of an open vial"} | WITNESS,
    )
    over, part = ledger(lot)
    assert any("more than the 1 vial(s) opened hold" in p for p in over.problems)
    assert part.problems == []
