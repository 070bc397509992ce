"""Controlled-substance log (issue 6 item 3): a loss found (breakage, spill, a count short,
theft suspected) is recorded as a loss, not a fake witnessed waste: a cause, what happened in
a few words, a second staff witness confirmed by password, taken out of the running balance,
shown as a loss, flagged for the director's review (a notice), audited. A balance it takes
below zero stays flagged, not refused. Bad input is refused naming the field with what was
typed kept and nothing saved; another clinic's lot cannot be touched."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Membership
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models import StaffNotice
from ketacare.treatments.models_substances import EntryKind, SubstanceEntry
from ketacare.treatments.substance_ledger import balance, discrepancies, ledger
from tests.conftest import PASSWORD
from tests.treatments.session_helpers import actor
from tests.treatments.substance_helpers import device_lot, vial_lot

pytestmark = pytest.mark.django_db

WITNESS = {"witness_email": "prescriber@a.test", "witness_password": PASSWORD}
WHAT = "Vial slipped from the tray during the morning count and shattered."


def _loss(lot: Any, **extra: Any) -> dict[str, Any]:
    return (
        {
            "lot": lot.pk,
            "loss_cause": "breakage",
            "units_opened": "1",
            "note": WHAT,
        }
        | WITNESS
        | extra
    )


def test_a_loss_is_witnessed_taken_out_and_sent_to_the_director(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)  # 2500 mg
    nurse = as_user(world.nurse_a)
    stock = nurse.get("/chairs/substances/").content.decode()
    assert 'data-testid="loss-form"' in stock
    # Each form's "Lot" label names its own select (they all were id_lot: the first one's).
    for own in ("loss_lot", "waste_lot", "count_lot"):
        assert stock.count(f'id="{own}"') == 1 and f'for="{own}"' in stock
    done = nurse.post("/chairs/substances/loss/", _loss(lot))
    assert done.status_code == 302
    entry = SubstanceEntry.objects.get()
    assert entry.kind == EntryKind.LOSS and entry.loss_cause == "breakage"
    assert (entry.units_opened, entry.lost_mg) == (1, Decimal("500.00"))
    assert entry.witness == world.prescriber_a and entry.witnessed_at is not None
    assert entry.drawn_mg == 0 and entry.wasted_mg == 0  # not a waste
    assert balance(lot) == Decimal("2000.00")
    (d,) = discrepancies(world.clinic_a)
    assert d.problem == "Loss of 500 mg recorded (breakage): for the director's review."
    (notice,) = StaffNotice.objects.all()
    assert notice.user == world.director_a and notice.clinic == world.clinic_a
    assert "KV-100" in notice.message and "500 mg" in notice.message and WHAT in notice.message
    audit = AuditEntry.objects.get(action="treatments.substances.loss_recorded")
    assert audit.object_id == str(entry.pk) and audit.actor_id == world.nurse_a.pk
    assert audit.detail["witness"] == world.prescriber_a.pk
    assert audit.detail["notified"] == [world.director_a.pk]
    assert audit.detail["lost"] == "500.00" and audit.detail["cause"] == "breakage"
    page = nurse.get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert 'data-kind="loss"' in page and "−500 mg lost" in page
    assert "What happened: " + WHAT in page and "witness Paula Prescriber" in page
    stock = as_user(world.director_a).get("/chairs/substances/").content.decode()
    assert "lost 500 mg" in stock and "for the director&#x27;s review" in stock


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"loss_cause": ""}, "loss_cause"),
        ({"loss_cause": "misplaced"}, "loss_cause"),
        ({"note": "it broke"}, "note"),  # two words, under 10 characters
        ({"note": "Shattered"}, "note"),  # one word
        ({"units_opened": "", "lost_mg": ""}, "lost_mg"),
        ({"lost_mg": "-5"}, "lost_mg"),
        ({"witness_email": ""}, "witness_email"),
        ({"witness_email": "nurse@a.test"}, "witness_email"),
        ({"witness_password": "wrong"}, "witness_password"),
        ({"witness_email": "therapist@a.test"}, "witness_password"),
        ({"witness_email": "prescriber@b.test"}, "witness_password"),
    ],
)
def test_a_loss_is_refused_naming_the_field_and_nothing_is_saved(
    world: Any, as_user: Any, extra: dict[str, str], field: str
) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    page = as_user(world.nurse_a).post("/chairs/substances/loss/", _loss(lot, **extra))
    body = page.content.decode()
    assert page.status_code == 400
    assert f'data-field="{field}"' in body
    if field != "note":
        assert "Vial slipped from the tray" in body  # what was typed is kept
    assert not SubstanceEntry.objects.exists()
    assert not StaffNotice.objects.exists()
    assert not AuditEntry.objects.filter(action="treatments.substances.loss_recorded").exists()


def test_a_wrong_witness_password_on_a_loss_leaves_a_denied_trace(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    with pytest.raises(ActionError):
        sa.do_record_loss(
            actor(world.nurse_a), world.clinic_a, _loss(lot, witness_password="guess")
        )
    (trace,) = AuditEntry.objects.filter(action="treatments.substances.witness_refused")
    assert trace.outcome == "denied" and trace.detail["witness_email"] == "prescriber@a.test"


def test_a_loss_below_zero_is_recorded_and_flagged_not_refused(world: Any) -> None:
    # Two devices received, one lost, then both missing (no more than the lot ever received:
    # more is a typo, refused naming the field).
    lot = device_lot(world.nurse_a, world.clinic_a, units=2)  # 56 mg
    sa.do_record_loss(actor(world.nurse_a), world.clinic_a, _loss(lot))
    entry = sa.do_record_loss(
        actor(world.nurse_a),
        world.clinic_a,
        _loss(lot, loss_cause="theft_suspected", units_opened="2", note="Two devices missing."),
    )
    assert entry.lost_mg == Decimal("56.00")
    assert balance(lot) == Decimal("-28.00")
    problems = [d.problem for d in discrepancies(world.clinic_a)]
    assert "Balance below zero: -28 mg." in problems
    assert "Loss of 56 mg recorded (theft suspected): for the director's review." in problems


def test_devices_are_lost_whole(world: Any) -> None:
    lot = device_lot(world.nurse_a, world.clinic_a)
    for extra in ({"units_opened": "", "lost_mg": "14"}, {"units_opened": "1", "lost_mg": "56"}):
        with pytest.raises(ActionError) as err:
            sa.do_record_loss(actor(world.nurse_a), world.clinic_a, _loss(lot, **extra))
        assert err.value.field == "lost_mg"
    entry = sa.do_record_loss(
        actor(world.nurse_a), world.clinic_a, _loss(lot, units_opened="", lost_mg="28")
    )
    assert entry.units_opened == 1


def test_a_loss_is_corrected_with_a_witness_again_and_the_director_told_again(
    world: Any, as_user: Any
) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    wrong = sa.do_record_loss(
        actor(world.nurse_a), world.clinic_a, _loss(lot, units_opened="", lost_mg="250")
    )
    url = f"/chairs/substances/lots/{lot.pk}/correct/"
    nurse = as_user(world.nurse_a)
    page = nurse.get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert f"#{wrong.pk} · " in page and "lost 250 mg (breakage)" in page
    refused = nurse.post(
        url,
        {
            "entry": wrong.pk,
            "loss_cause": "spill",
            "lost_mg": "25",
            "correction_reason": "25 mg spilt, not 250",
        },
    )
    assert refused.status_code == 400
    assert 'data-field="witness_email"' in refused.content.decode()
    assert SubstanceEntry.objects.count() == 1
    done = nurse.post(
        url,
        {
            "entry": wrong.pk,
            "loss_cause": "spill",
            "lost_mg": "25",
            "correction_reason": "25 mg spilt, not 250",
        }
        | WITNESS,
    )
    assert done.status_code == 302
    fixed = SubstanceEntry.objects.get(corrects=wrong)
    wrong.refresh_from_db()
    assert wrong.lost_mg == Decimal("250.00")  # untouched
    assert (fixed.loss_cause, fixed.lost_mg, fixed.note) == ("spill", Decimal("25.00"), WHAT)
    assert fixed.witness == world.prescriber_a and fixed.at == wrong.at
    assert balance(lot) == Decimal("2475.00")
    assert [r.standing for r in ledger(lot)] == [False, True]
    assert StaffNotice.objects.filter(user=world.director_a).count() == 2
    assert "a correction" in StaffNotice.objects.order_by("-pk").first().message  # type: ignore[union-attr]


def test_without_a_director_the_admin_is_told(world: Any) -> None:
    Membership.objects.filter(user=world.director_a).update(is_active=False)
    lot = vial_lot(world.nurse_a, world.clinic_a)
    sa.do_record_loss(actor(world.nurse_a), world.clinic_a, _loss(lot))
    assert [n.user for n in StaffNotice.objects.all()] == [world.admin_a]


def test_another_clinic_or_a_reader_cannot_record_a_loss(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    with pytest.raises(ActionError, match="No such lot"):
        sa.do_record_loss(actor(world.clinician_b), world.clinic_b, _loss(lot))
    page = as_user(world.clinician_b).post("/chairs/substances/loss/", _loss(lot))
    assert page.status_code == 400 and 'data-field="lot"' in page.content.decode()
    assert "KV-100" not in page.content.decode()
    for reader in (world.director_a, world.therapist_a):
        assert as_user(reader).post("/chairs/substances/loss/", _loss(lot)).status_code == 403
    assert not SubstanceEntry.objects.exists() and not StaffNotice.objects.exists()


def test_a_loss_corrected_without_a_cause_keeps_its_cause(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    wrong = sa.do_record_loss(
        actor(world.nurse_a), world.clinic_a, _loss(lot, loss_cause="count_discrepancy")
    )
    fixed = sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        wrong.pk,
        {"lost_mg": "100", "correction_reason": "a part vial, not a whole one"} | WITNESS,
    )
    assert fixed.loss_cause == "count_discrepancy" and fixed.lost_mg == Decimal("100.00")
    assert balance(lot) == Decimal("2400.00")
