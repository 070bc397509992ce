"""The demo's controlled-substance log: lots per clinic, a ledger that accounts for every dose
the demo sessions gave, witnessed waste, one flagged discrepancy, and the stock page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.demo.loader import load_demo
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments.models import ACTIVE_SESSION_STATUSES, TreatmentSession
from ketacare.treatments.models_substances import DrugLot, EntryKind, LotDrug, SubstanceEntry
from ketacare.treatments.substance_ledger import (
    balance,
    discrepancies,
    ledger,
    received_total,
    session_log_problems,
)


def _check_ledger(clinic: Clinic) -> None:
    lots = list(DrugLot.objects.filter(clinic=clinic))
    assert {lot.drug for lot in lots} == set(LotDrug.values)
    today = timezone.now().astimezone(clinic_zone(clinic)).date()
    for lot in lots:
        rows = ledger(lot)
        assert all(r.balance_mg is not None and r.balance_mg >= 0 for r in rows if r.standing)
        moved = [r.entry for r in rows if r.standing and r.entry.kind != EntryKind.COUNT]
        given = sum((e.given_mg for e in moved), Decimal(0))
        wasted = sum((e.wasted_mg for e in moved), Decimal(0))
        _, received = received_total(lot, rows)
        assert balance(lot) == received - given - wasted, lot.lot_number
        assert lot.received_at < min((r.entry.at for r in rows), default=timezone.now())
    # One lot in stock expires within 30 days; none is used after its expiry.
    soon = [lot for lot in lots if lot.expiry <= today + timedelta(days=30)]
    assert len(soon) == 1 and balance(soon[0]) > 0 and soon[0].expiry >= today
    # One lot came in two deliveries: the second received into it, audited, on the page.
    (more,) = SubstanceEntry.objects.filter(clinic=clinic, kind=EntryKind.RECEIVE)
    assert more.received_mg == more.lot.received_mg and more.at > more.lot.received_at
    assert AuditEntry.objects.filter(
        action="treatments.substances.received", object_id=str(more.pk)
    ).exists()


def _check_waste_is_witnessed(clinic: Clinic) -> None:
    wastes = list(SubstanceEntry.objects.filter(clinic=clinic, wasted_mg__gt=0))
    assert wastes and {e.kind for e in wastes} == {EntryKind.USE, EntryKind.WASTE}
    for entry in wastes:
        assert entry.witness_id is not None and entry.witness_id != entry.by_id
        assert entry.witnessed_at == entry.at
        membership = Membership.objects.get(user_id=entry.witness_id, clinic=clinic)
        assert has_perm(membership, Perm.SUBSTANCE_RECORD)


def _check_every_dose_is_logged(clinic: Clinic) -> None:
    done = list(
        TreatmentSession.objects.filter(clinic=clinic, dose__given_mg__gt=0)
        .exclude(status__in=ACTIVE_SESSION_STATUSES)
        .select_related("dose")
    )
    uses = {
        e.session_id: e
        for e in SubstanceEntry.objects.filter(clinic=clinic, kind=EntryKind.USE).select_related(
            "lot"
        )
    }
    assert len(done) > 100 and len(uses) == len(done)
    for s in done:
        entry = uses[s.pk]
        assert entry.given_mg == s.dose.given_mg
        assert s.dose.drug_lot_id == entry.lot_id and s.dose.lot_number == entry.lot.lot_number
        assert entry.at >= s.dose.started_at
        # What the session page checks before signing: nothing waits for the log.
        assert session_log_problems(s) == [], s.pk
    # Written through the actions: each entry has its audit entry.
    used = AuditEntry.objects.filter(clinic_id=clinic.pk, action="treatments.substances.used")
    assert used.count() == len(uses)


def _check_counts(clinic: Clinic) -> None:
    counts = [
        r
        for lot in DrugLot.objects.filter(clinic=clinic)
        for r in ledger(lot)
        if r.entry.kind == EntryKind.COUNT
    ]
    assert sum(1 for r in counts if not r.problems) >= 5  # periodic counts that match
    found = discrepancies(clinic)
    assert len(found) == 1, [d.problem for d in found]
    assert found[0].entry.kind == EntryKind.COUNT and "differs from the log" in found[0].problem


def test_demo_ledger_accounts_for_every_dose_with_one_discrepancy_per_clinic(db: Any) -> None:
    load_demo()
    clinics = list(Clinic.objects.order_by("pk"))
    assert len(clinics) == 2
    for clinic in clinics:
        _check_ledger(clinic)
        _check_waste_is_witnessed(clinic)
        _check_every_dose_is_logged(clinic)
        _check_counts(clinic)
    # Re-staging the live chair board (every `ketacare demo`) leaves the log as it was.
    before = SubstanceEntry.objects.count()
    call_command("demo", "--quiet", stdout=StringIO())
    assert SubstanceEntry.objects.count() == before
    for clinic in clinics:
        assert len(discrepancies(clinic)) == 1


def test_demo_stock_page_shows_the_clinics_own_lots_only(db: Any) -> None:
    load_demo()
    riverside, lakeside = Clinic.objects.get(slug="riverside"), Clinic.objects.get(slug="lakeside")
    own = {
        c.slug: set(c.drug_lots.values_list("lot_number", flat=True)) for c in (riverside, lakeside)
    }
    assert own["riverside"] and own["lakeside"] and not own["riverside"] & own["lakeside"]
    for email, slug, other in (
        ("director@riverside.demo", "riverside", "lakeside"),
        ("nurse@riverside.demo", "riverside", "lakeside"),
        ("nurse@lakeside.demo", "lakeside", "riverside"),
    ):
        client = Client()
        client.force_login(User.objects.get(email=email))
        response = client.get("/chairs/substances/")
        assert response.status_code == 200, email
        body = response.content.decode()
        assert "No lots yet" not in body
        for number in own[slug]:
            assert f'data-testid="balance-{number}"' in body
        for number in own[other]:
            assert number not in body
        assert 'data-testid="discrepancy-count">1<' in body
        # Another clinic's lot page is "not found".
        foreign = DrugLot.objects.filter(clinic__slug=other).first()
        assert foreign is not None
        assert client.get(f"/chairs/substances/lots/{foreign.pk}/").status_code == 404
