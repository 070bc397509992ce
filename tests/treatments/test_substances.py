"""The controlled-substance log: lots, what a session drew/gave/wasted with a witness, the
running balance, discrepancies, counts and corrections that keep the original."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Membership, Role, User
from ketacare.treatments import actions
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models import DoseRecord
from ketacare.treatments.models_substances import SubstanceEntry
from ketacare.treatments.substance_ledger import balance, discrepancies, ledger
from tests.conftest import PASSWORD
from tests.treatments.session_helpers import actor, checks_ok, dosed, ready_session
from tests.treatments.substance_helpers import device_lot, vial_lot

pytestmark = pytest.mark.django_db


def _dosed_iv(world: Any) -> Any:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    return dosed(world.nurse_a, session)


def _witness(world: Any, **extra: Any) -> dict[str, Any]:
    return {"witness_email": "prescriber@a.test", "witness_password": PASSWORD} | extra


def test_receiving_a_lot_sets_its_balance_and_is_audited(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    assert lot.unit_mg == Decimal("500.00") and lot.received_mg == Decimal("2500.00")
    assert balance(lot) == Decimal("2500.00")
    assert AuditEntry.objects.filter(
        action="treatments.substances.lot_received", object_id=str(lot.pk)
    ).exists()
    with pytest.raises(ActionError) as err:
        vial_lot(world.nurse_a, world.clinic_a)
    assert err.value.field == "lot_number"
    with pytest.raises(ActionError) as err:
        vial_lot(world.nurse_a, world.clinic_a, "KV-2", concentration_mg_per_ml="")
    assert err.value.field == "concentration_mg_per_ml"
    with pytest.raises(ActionError) as err:
        vial_lot(world.nurse_a, world.clinic_a, "KV-3", units=0)
    assert err.value.field == "units_received"
    # The same lot number in another clinic is that clinic's own lot.
    assert vial_lot(world.clinician_b, world.clinic_b).clinic == world.clinic_b


def test_a_session_draws_from_a_lot_and_the_balance_runs(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    session = _dosed_iv(world)
    entry = sa.do_record_use(
        actor(world.nurse_a),
        session,
        {"lot": lot.pk, "units_opened": 1, "drawn_mg": "35", "given_mg": "35"},
    )
    assert entry.session == session and entry.witness is None
    sa.do_record_use(
        actor(world.nurse_a),
        session,
        {"lot": lot.pk, "units_opened": 0, "drawn_mg": "5", "given_mg": "5"},
    )
    rows = ledger(lot)
    assert [r.balance_mg for r in rows] == [Decimal("2465.00"), Decimal("2460.00")]
    assert balance(lot) == Decimal("2460.00")
    assert discrepancies(world.clinic_a) == []
    assert (
        AuditEntry.objects.filter(
            action="treatments.substances.used", patient_id=world.patient_a.pk
        ).count()
        == 2
    )


def test_use_is_refused_before_the_dose_and_for_the_wrong_drug_or_clinic(world: Any) -> None:
    vials = vial_lot(world.nurse_a, world.clinic_a)
    devices = device_lot(world.nurse_a, world.clinic_a)
    foreign = vial_lot(world.clinician_b, world.clinic_b, "KV-B")
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    use = {"lot": vials.pk, "drawn_mg": "35", "given_mg": "35"}
    with pytest.raises(ActionError, match="dose has started"):
        sa.do_record_use(actor(world.nurse_a), session, use)
    session = dosed(world.nurse_a, session)
    with pytest.raises(ActionError) as err:
        sa.do_record_use(actor(world.nurse_a), session, use | {"lot": devices.pk})
    assert err.value.field == "lot"
    with pytest.raises(ActionError, match="No such lot"):
        sa.do_record_use(actor(world.nurse_a), session, use | {"lot": foreign.pk})
    with pytest.raises(ActionError) as err:
        sa.do_record_use(actor(world.nurse_a), session, use | {"drawn_mg": "-3"})
    assert err.value.field == "drawn_mg"
    with pytest.raises(ActionError) as err:
        sa.do_record_use(actor(world.nurse_a), session, use | {"drawn_mg": ""})
    assert err.value.field == "drawn_mg"
    assert not SubstanceEntry.objects.exists()


def test_waste_needs_another_staff_member_with_their_own_password(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    session = _dosed_iv(world)
    use = {"lot": lot.pk, "units_opened": 1, "drawn_mg": "50", "given_mg": "35", "wasted_mg": "15"}
    nurse = actor(world.nurse_a)
    with pytest.raises(ActionError) as err:
        sa.do_record_use(nurse, session, use)
    assert err.value.field == "witness_email"
    with pytest.raises(ActionError, match="your own"):
        sa.do_record_use(nurse, session, use | _witness(world, witness_email="nurse@a.test"))
    with pytest.raises(ActionError) as err:
        sa.do_record_use(nurse, session, use | _witness(world, witness_password="wrong"))
    assert err.value.field == "witness_password"
    for email in ("prescriber@b.test", "therapist@a.test", "nobody@a.test"):
        with pytest.raises(ActionError):
            sa.do_record_use(nurse, session, use | _witness(world, witness_email=email))
    Membership.objects.filter(user=world.prescriber_a, clinic=world.clinic_a).update(
        is_active=False
    )
    with pytest.raises(ActionError):
        sa.do_record_use(nurse, session, use | _witness(world))
    Membership.objects.filter(user=world.prescriber_a, clinic=world.clinic_a).update(is_active=True)
    assert not SubstanceEntry.objects.exists()
    entry = sa.do_record_use(nurse, session, use | _witness(world))
    assert entry.witness == world.prescriber_a and entry.witnessed_at is not None
    assert balance(lot) == Decimal("2450.00")
    assert discrepancies(world.clinic_a) == []


def test_discrepancies_are_flagged_and_listed(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, units=1)  # 500 mg
    old = vial_lot(world.nurse_a, world.clinic_a, "OLD-1", expiry=date(2020, 1, 1))
    session = _dosed_iv(world)
    nurse = actor(world.nurse_a)
    sa.do_record_use(nurse, session, {"lot": lot.pk, "drawn_mg": "40", "given_mg": "35"})
    sa.do_record_use(nurse, session, {"lot": lot.pk, "drawn_mg": "470", "given_mg": "470"})
    sa.do_record_use(nurse, session, {"lot": old.pk, "drawn_mg": "10", "given_mg": "10"})
    sa.do_record_count(
        actor(world.prescriber_a), world.clinic_a, {"lot": old.pk, "counted_mg": "490"}
    )
    found = [d.problem for d in discrepancies(world.clinic_a)]
    assert any("Drawn 40 mg ≠ given 35 mg + wasted 0 mg" in p for p in found)
    assert any("Balance below zero: -10 mg" in p for p in found)
    assert any("OLD-1 used after its expiry 2020-01-01" in p for p in found)
    assert any("Count 490 mg differs from the log's 2490 mg" in p for p in found)
    assert len(found) == 4
    # A count that matches is no discrepancy.
    sa.do_record_count(
        actor(world.prescriber_a),
        world.clinic_a,
        {"lot": old.pk, "counted_units": 4, "counted_mg": "490"},
    )
    assert len(discrepancies(world.clinic_a)) == 4
    assert discrepancies(world.clinic_b) == []


def test_a_correction_is_a_new_entry_and_the_original_stays(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    session = _dosed_iv(world)
    wrong = sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "drawn_mg": "53", "given_mg": "35"}
    )
    assert len(discrepancies(world.clinic_a)) == 1
    with pytest.raises(ActionError) as err:
        sa.do_correct_entry(actor(world.nurse_a), world.clinic_a, wrong.pk, {"drawn_mg": "35"})
    assert err.value.field == "correction_reason"
    fixed = sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        wrong.pk,
        {"drawn_mg": "35", "given_mg": "35", "correction_reason": "typo: 53 for 35"},
    )
    wrong.refresh_from_db()
    assert wrong.drawn_mg == Decimal("53.00")  # untouched
    assert fixed.corrects == wrong and fixed.session == session and fixed.lot == lot
    rows = ledger(lot)
    assert [(r.entry.pk, r.standing) for r in rows] == [(wrong.pk, False), (fixed.pk, True)]
    assert balance(lot) == Decimal("2465.00")
    assert discrepancies(world.clinic_a) == []
    with pytest.raises(ActionError, match="already corrected"):
        sa.do_correct_entry(
            actor(world.nurse_a),
            world.clinic_a,
            wrong.pk,
            {"drawn_mg": "1", "correction_reason": "x"},
        )
    with pytest.raises(ActionError, match="No such entry"):
        sa.do_correct_entry(
            actor(world.clinician_b),
            world.clinic_b,
            fixed.pk,
            {"drawn_mg": "1", "correction_reason": "x"},
        )
    # A correction adding waste needs the witness too.
    with pytest.raises(ActionError) as err:
        sa.do_correct_entry(
            actor(world.nurse_a),
            world.clinic_a,
            fixed.pk,
            {"drawn_mg": "50", "given_mg": "35", "wasted_mg": "15", "correction_reason": "waste"},
        )
    assert err.value.field == "witness_email"
    assert AuditEntry.objects.filter(action="treatments.substances.corrected").count() == 1


def test_the_dose_record_takes_lot_and_expiry_from_the_chosen_lot(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, expiry=date(2031, 5, 31))
    devices = device_lot(world.nurse_a, world.clinic_a)
    session = checks_ok(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    calc = actions.session_dose(session)
    with pytest.raises(ActionError) as err:
        actions.do_start_dose(
            actor(world.nurse_a), session, {"lot_id": devices.pk, "given_mg": calc.dose_mg}
        )
    assert err.value.field == "lot"
    actions.do_start_dose(
        actor(world.nurse_a),
        session,
        {"lot_id": lot.pk, "lot_number": "TYPED", "given_mg": calc.dose_mg},
    )
    dose = DoseRecord.objects.get(session=session)
    assert (dose.lot_number, dose.expiry, dose.drug_lot) == ("KV-100", date(2031, 5, 31), lot)
    assert dose.concentration_mg_per_ml == Decimal("50.000")


def test_the_session_page_records_use_and_refuses_bad_input(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    session = _dosed_iv(world)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    nurse = as_user(world.nurse_a)
    page = nurse.get(url).content.decode()
    assert 'data-testid="use-form"' in page and "KV-100" in page
    bad = nurse.post(url + "substances/", {"lot": lot.pk, "drawn_mg": "40", "wasted_mg": "5"})
    assert bad.status_code == 400
    assert 'data-field="witness_email"' in bad.content.decode()
    ok = nurse.post(
        url + "substances/",
        {"lot": lot.pk, "units_opened": "1", "drawn_mg": "40", "given_mg": "35", "wasted_mg": "5"}
        | _witness(world),
    )
    assert ok.status_code == 302
    page = nurse.get(url).content.decode()
    assert 'data-testid="session-substances"' in page and "Paula Prescriber" in page
    therapist = as_user(world.therapist_a)
    assert therapist.post(url + "substances/", {"lot": lot.pk, "drawn_mg": "1"}).status_code == 403
    assert SubstanceEntry.objects.count() == 1


def test_the_clinic_page_lists_lots_and_discrepancies_for_its_clinic_only(
    world: Any, as_user: Any
) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    foreign = vial_lot(world.clinician_b, world.clinic_b, "KV-BETA")
    session = _dosed_iv(world)
    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "drawn_mg": "40", "given_mg": "35"}
    )
    director = as_user(world.director_a)
    page = director.get("/chairs/substances/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "KV-100" in body and "KV-BETA" not in body
    assert 'data-testid="discrepancies"' in body and "Drawn 40 mg" in body
    assert "Controlled substances" in body  # the nav link
    assert 'action="/chairs/substances/lots/"' not in body  # directors read, not record
    assert director.post("/chairs/substances/lots/", {}).status_code == 403
    assert director.get(f"/chairs/substances/lots/{lot.pk}/").status_code == 200
    assert director.get(f"/chairs/substances/lots/{foreign.pk}/").status_code == 404
    for user in (world.therapist_a, world.intake_a):
        assert as_user(user).get("/chairs/substances/").status_code == 403
    assert as_user(world.clinician_b).get(f"/chairs/substances/lots/{lot.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="treatments.substances.viewed").exists()


def test_the_clinic_page_receives_counts_wastes_and_corrects(world: Any, as_user: Any) -> None:
    nurse = as_user(world.nurse_a)
    bad = nurse.post(
        "/chairs/substances/lots/",
        {
            "drug": "ketamine_vial",
            "lot_number": "P-1",
            "expiry": "2099-01-01",
            "units_received": "2",
        },
    )
    assert bad.status_code == 400 and 'data-field="concentration_mg_per_ml"' in bad.content.decode()
    ok = nurse.post(
        "/chairs/substances/lots/",
        {
            "drug": "ketamine_vial",
            "lot_number": "P-1",
            "expiry": "2099-01-01",
            "units_received": "2",
            "concentration_mg_per_ml": "10",
            "unit_ml": "20",
        },
    )
    assert ok.status_code == 302
    lot = world.clinic_a.drug_lots.get(lot_number="P-1")
    assert lot.received_mg == Decimal("400.00")
    self_witness = nurse.post(
        "/chairs/substances/waste/",
        {"lot": lot.pk, "drawn_mg": "200", "note": "vial dropped"}
        | _witness(world, witness_email="nurse@a.test"),
    )
    assert self_witness.status_code == 400
    assert "cannot witness your own" in self_witness.content.decode()
    assert (
        nurse.post(
            "/chairs/substances/waste/",
            {"lot": lot.pk, "units_opened": "1", "drawn_mg": "200", "note": "vial dropped"}
            | _witness(world),
        ).status_code
        == 302
    )
    assert balance(lot) == Decimal("200.00")
    assert (
        nurse.post("/chairs/substances/count/", {"lot": lot.pk, "counted_units": "1"}).status_code
        == 302
    )
    assert discrepancies(world.clinic_a) == []
    count = SubstanceEntry.objects.get(kind="count")
    response = nurse.post(
        f"/chairs/substances/lots/{lot.pk}/correct/",
        {"entry": count.pk, "counted_mg": "150", "correction_reason": "miscounted"},
    )
    assert response.status_code == 302
    assert any("Count 150 mg" in d.problem for d in discrepancies(world.clinic_a))
    ledger_page = nurse.get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert "cs-superseded" in ledger_page and "miscounted" in ledger_page


def test_a_count_takes_time_order_into_account(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, units=1)
    count = sa.do_record_count(
        actor(world.nurse_a), world.clinic_a, {"lot": lot.pk, "counted_mg": "500"}
    )
    SubstanceEntry.objects.filter(pk=count.pk).update(at=timezone.now() - timedelta(days=1))
    assert discrepancies(world.clinic_a) == []
    assert User.objects.filter(memberships__role=Role.NURSE).exists()


def test_esketamine_devices_are_drawn_whole(world: Any) -> None:
    lot = device_lot(world.nurse_a, world.clinic_a)
    assert lot.unit_label == "28 mg device" and lot.received_mg == Decimal("168.00")
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    entry = sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "units_opened": 2, "given_mg": "56"}
    )
    assert entry.drawn_mg == Decimal("56.00")
    assert balance(lot) == Decimal("112.00")
    assert discrepancies(world.clinic_a) == []
