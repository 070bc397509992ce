"""The controlled-substance log: the clinic's drug lots and an append-only ledger of what was
received, drawn, given, wasted (with a witness), lost (with a witness) and counted, per lot.

Nothing here is edited in place: a mistaken entry is corrected by a new entry that points at
it (`corrects`); the original stays, superseded, and no longer counts in the balance.
Amounts are kept in mg; a vial's mL follows from its concentration. The director's review of a
discrepancy (`DiscrepancyReview`) is append-only too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic

USER = settings.AUTH_USER_MODEL


def plain(value: Decimal) -> str:
    """10.00 → "10", 2.50 → "2.5" (never "1E+1")."""
    return f"{value.normalize():f}"


class LotDrug(models.TextChoices):
    KETAMINE_VIAL = "ketamine_vial", "Ketamine hydrochloride injection (vial)"
    ESKETAMINE_DEVICE = "esketamine_device", "Esketamine nasal spray 28 mg device (SPRAVATO)"


# Which lots a session of each route draws from.
ROUTE_DRUG = {
    "iv_racemic": LotDrug.KETAMINE_VIAL,
    "im_racemic": LotDrug.KETAMINE_VIAL,
    "esketamine_nasal": LotDrug.ESKETAMINE_DEVICE,
}


class DrugLot(models.Model):
    """One lot received into the clinic's stock: so many vials or devices of one size."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="drug_lots")
    drug = models.CharField(max_length=20, choices=LotDrug.choices)
    concentration_mg_per_ml = models.DecimalField(
        max_digits=8, decimal_places=3, null=True, blank=True
    )
    unit_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    unit_mg = models.DecimalField(max_digits=8, decimal_places=2)  # one vial or one device
    lot_number = models.CharField(max_length=60)
    expiry = models.DateField()
    units_received = models.PositiveIntegerField()
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    reference = models.CharField(max_length=120, blank=True)  # invoice, delivery note

    class Meta:
        ordering = ["expiry", "lot_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "drug", "lot_number"], name="drug_lot_unique_per_clinic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lot_number} ({self.get_drug_display()})"

    @property
    def received_mg(self) -> Decimal:
        """The first delivery as typed when the lot was received (never rewritten): later
        deliveries and a correction of this one are `receive` entries of the log, so what the
        lot holds is the ledger's (`substance_ledger.balance`, `received_total`)."""
        return self.unit_mg * self.units_received

    @property
    def is_device(self) -> bool:
        return self.drug == LotDrug.ESKETAMINE_DEVICE

    @property
    def unit_label(self) -> str:
        if self.is_device:
            return f"{plain(self.unit_mg)} mg device"
        ml = f"{plain(self.unit_ml)} mL " if self.unit_ml else ""
        conc = (
            f" ({plain(self.concentration_mg_per_ml)} mg/mL)"
            if self.concentration_mg_per_ml
            else ""
        )
        return f"{ml}vial of {plain(self.unit_mg)} mg{conc}"


class EntryKind(models.TextChoices):
    USE = "use", "Drawn for a session"
    WASTE = "waste", "Wasted (not for a session)"
    COUNT = "count", "Stock count"
    RECEIVE = "receive", "Received into the lot"
    LOSS = "loss", "Loss / adjustment"


class LossCause(models.TextChoices):
    BREAKAGE = "breakage", "Breakage"
    SPILL = "spill", "Spill"
    COUNT_DISCREPANCY = "count_discrepancy", "Count discrepancy"
    THEFT_SUSPECTED = "theft_suspected", "Theft suspected"
    OTHER = "other", "Other"


class SubstanceEntry(models.Model):
    """One line of the log. `drawn_mg` leaves the stock; of it, `given_mg` went to the patient
    and `wasted_mg` was wasted before a witness. A count records what staff counted.

    A `receive` entry adds `received_mg` (`units_received` of the lot's size) to the lot: a
    later delivery of the same lot, or (`corrects_first_delivery`) the right quantity of the
    lot's first delivery, which then no longer counts. A `loss` entry takes `lost_mg` out
    (`units_opened`: the vials or devices lost), with its `loss_cause`, what happened (`note`)
    and a witness; it is flagged for the director's review."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="substance_log")
    lot = models.ForeignKey(DrugLot, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=EntryKind.choices)
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substance_entries",
    )
    units_opened = models.PositiveIntegerField(default=0)
    drawn_mg = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    given_mg = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    wasted_mg = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    received_mg = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    units_received = models.PositiveIntegerField(default=0)
    corrects_first_delivery = models.BooleanField(default=False)
    reference = models.CharField(max_length=120, blank=True)  # invoice, delivery note
    lost_mg = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    loss_cause = models.CharField(max_length=20, choices=LossCause.choices, blank=True)
    counted_mg = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    expected_mg = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    witness = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witnessed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_reason = models.TextField(blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(
        default=timezone.now
    )  # when it happened (a correction: the original's)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["clinic", "lot", "at"], name="substance_lot_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.drawn_mg} mg of {self.lot_id}"


class ReviewOutcome(models.TextChoices):
    """What the director concluded about a discrepancy: labels for the record, not rules."""

    EXPLAINED = "explained", "Explained — documentation or counting error, corrected in the log"
    DEA_FORM_106 = "dea_form_106", "Loss confirmed — reported to the DEA (Form 106)"
    STATE_BOARD = "state_board", "Reported to the state board of pharmacy"
    INVESTIGATION = "investigation", "Referred for investigation"
    OTHER = "other", "Other"


class DiscrepancyReview(models.Model):
    """The director's sign-off on one discrepancy of the log: the entry and the exact problem
    text the ledger gave when it was reviewed. A discrepancy counts as reviewed only while the
    ledger still gives that same text for that entry (a balance that moves later changes the
    text, and the discrepancy is open again). Written once: never edited, never deleted."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="discrepancy_reviews")
    entry = models.ForeignKey(SubstanceEntry, on_delete=models.PROTECT, related_name="reviews")
    problem = models.TextField()
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    note = models.TextField()
    reference = models.CharField(max_length=120, blank=True)  # a report number
    reviewed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        constraints = [
            # Two directors at once: one review (the action's row lock; this, the backstop).
            models.UniqueConstraint(fields=["entry", "problem"], name="discrepancy_reviewed_once")
        ]

    def __str__(self) -> str:
        return f"review of entry {self.entry_id}: {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("A discrepancy review is written once: it cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("A discrepancy review is written once: it cannot be deleted.")
