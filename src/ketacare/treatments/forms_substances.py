"""Forms for the controlled-substance log; they parse, the rules live in substance_actions."""

from __future__ import annotations

import zlib
from typing import Any

from django import forms
from django.utils import timezone

from ketacare.treatments.models_substances import (
    DrugLot,
    EntryKind,
    LossCause,
    LotDrug,
    ReviewOutcome,
    plain,
)

_NUM = {"inputmode": "decimal", "class": "big-input", "autocomplete": "off"}


def _mg(label: str, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, widget=forms.TextInput(attrs=_NUM))


def _lot_choices(lots: list[DrugLot]) -> list[tuple[str, str]]:
    return [("", "—")] + [
        (str(lot.pk), f"{lot.lot_number} · exp {lot.expiry:%Y-%m-%d} · {lot.unit_label}")
        for lot in lots
    ]


def entry_label(e: Any) -> str:
    """ "#12 · 12-03 14:40 · Drawn for a session · drawn 40 / given 35 / wasted 5 mg": the time
    in the clinic's zone (the request's, as the log table shows it; it was UTC) and the
    amounts, so the entry chosen is the one meant."""
    when = f"{timezone.localtime(e.at):%m-%d %H:%M}"
    if e.kind == EntryKind.COUNT:
        what = f"counted {plain(e.counted_mg)} mg" if e.counted_mg is not None else "count"
    elif e.kind == EntryKind.RECEIVE:
        first = "first delivery, " if e.corrects_first_delivery else ""
        what = f"{first}{e.units_received} received ({plain(e.received_mg)} mg)"
    elif e.kind == EntryKind.LOSS:
        what = f"lost {plain(e.lost_mg)} mg ({e.get_loss_cause_display().lower()})"
    else:
        what = (
            f"drawn {plain(e.drawn_mg)} / given {plain(e.given_mg)} / "
            f"wasted {plain(e.wasted_mg)} mg"
        )
    return f"#{e.pk} · {when} · {e.get_kind_display()} · {what}"


class WitnessMixin(forms.Form):
    witness_email = forms.CharField(
        label="Witness (email)",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="Needed when anything is wasted: another nurse or prescriber.",
    )
    witness_password = forms.CharField(
        label="Witness password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class UseForm(WitnessMixin):
    field_order = ["lot", "units_opened", "drawn_mg", "given_mg", "wasted_mg", "note"]
    lot = forms.ChoiceField(label="Lot")
    units_opened = forms.IntegerField(
        label="Vials / devices opened",
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs=_NUM),
    )
    drawn_mg = _mg("Drawn (mg)")
    given_mg = _mg("Given (mg)")
    wasted_mg = _mg("Wasted (mg)")
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, lots: list[DrugLot], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = _lot_choices(lots)  # type: ignore[attr-defined]


FIRST_DELIVERY = "first"


def _loss_cause() -> forms.ChoiceField:
    return forms.ChoiceField(label="Loss", choices=[("", "—"), *LossCause.choices])


class CorrectEntryForm(UseForm):
    field_order = ["entry", *UseForm.field_order]
    entry = forms.ChoiceField(label="Entry to correct")
    counted_mg = _mg("Counted (mg), for a count")
    units_received = forms.IntegerField(
        label="Vials / devices received, for a receipt",
        required=False,
        min_value=1,
        widget=forms.TextInput(attrs=_NUM),
    )
    reference = forms.CharField(
        label="Invoice / reference, for a receipt", required=False, max_length=120
    )
    loss_cause = forms.ChoiceField(
        label="Loss, for a loss", required=False, choices=[("", "—"), *LossCause.choices]
    )
    lost_mg = _mg("Lost (mg), for a loss")
    correction_reason = forms.CharField(label="Why the correction", max_length=500)

    def __init__(
        self, *args: Any, entries: list[Any], first_delivery: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")]
        if first_delivery:
            choices.append((FIRST_DELIVERY, first_delivery))
        choices += [(str(e.pk), entry_label(e)) for e in entries]
        self.fields["entry"].choices = choices  # type: ignore[attr-defined]
        self.fields["lot"].help_text = "Blank: the same lot."
        self.fields["note"].help_text = "A loss: what happened (blank: as recorded)."
        self.fields["units_opened"].help_text = "A loss: the vials / devices lost."
        self.fields[
            "witness_email"
        ].help_text = "Needed when anything is wasted or lost: another nurse or prescriber."
        self.fields["loss_cause"].help_text = "Blank: as recorded."


class WasteForm(WitnessMixin):
    field_order = ["lot", "units_opened", "drawn_mg", "note"]
    lot = forms.ChoiceField(label="Lot")
    units_opened = forms.IntegerField(
        label="Vials / devices", required=False, min_value=0, widget=forms.TextInput(attrs=_NUM)
    )
    drawn_mg = _mg("Wasted (mg)")
    note = forms.CharField(label="What happened", max_length=500)

    def __init__(self, *args: Any, lots: list[DrugLot], **kwargs: Any):
        kwargs.setdefault("auto_id", "waste_%s")
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = _lot_choices(lots)  # type: ignore[attr-defined]


class LossForm(WitnessMixin):
    """A loss found (breakage, spill, a count short, theft suspected), with a witness."""

    field_order = ["lot", "loss_cause", "units_opened", "lost_mg", "note"]
    lot = forms.ChoiceField(label="Lot")
    loss_cause = _loss_cause()
    units_opened = forms.IntegerField(
        label="Vials / devices lost",
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs=_NUM),
    )
    lost_mg = _mg("Lost (mg)")
    note = forms.CharField(
        label="What happened",
        max_length=500,
        help_text="A few words an inspector can act on: how it was found, where it went.",
    )

    def __init__(self, *args: Any, lots: list[DrugLot], **kwargs: Any):
        # Own ids: the stock page shows several forms with a "Lot" (a label found the
        # first form's select).
        kwargs.setdefault("auto_id", "loss_%s")
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = _lot_choices(lots)  # type: ignore[attr-defined]
        self.fields["witness_email"].help_text = "Another nurse or prescriber."


class ReceiveMoreForm(forms.Form):
    """Another delivery of this lot."""

    units_received = forms.IntegerField(
        label="Vials / devices received", min_value=1, widget=forms.TextInput(attrs=_NUM)
    )
    reference = forms.CharField(label="Invoice / reference", required=False, max_length=120)
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", "more_%s")  # the lot page's correction form has these too
        super().__init__(*args, **kwargs)


class CountForm(forms.Form):
    lot = forms.ChoiceField(label="Lot")
    counted_units = forms.IntegerField(
        label="Full vials / devices counted",
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs=_NUM),
    )
    counted_mg = _mg("Plus mg in open vials (or total mg)")
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, lots: list[DrugLot], **kwargs: Any):
        kwargs.setdefault("auto_id", "count_%s")
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = _lot_choices(lots)  # type: ignore[attr-defined]


class LotForm(forms.Form):
    drug = forms.ChoiceField(choices=[("", "—"), *LotDrug.choices])
    lot_number = forms.CharField(label="Lot number", max_length=60)
    expiry = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    units_received = forms.IntegerField(
        label="Vials / devices received", min_value=1, widget=forms.TextInput(attrs=_NUM)
    )
    concentration_mg_per_ml = _mg("Concentration (mg/mL), vials")
    unit_ml = _mg("Vial size (mL), vials")
    reference = forms.CharField(label="Invoice / reference", required=False, max_length=120)
    note = forms.CharField(required=False, max_length=500)


class ReviewForm(forms.Form):
    """The director's review of one discrepancy: which one (the entry is in the URL, the
    problem text as the page showed it), the outcome, a note and a report number."""

    problem = forms.CharField(widget=forms.HiddenInput, max_length=2000)
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "—"), *ReviewOutcome.choices])
    note = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="What was found, in a few words.",
    )
    reference = forms.CharField(
        label="Report number",
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, entry_id: int, problem: str = "", **kwargs: Any):
        if problem:
            kwargs.setdefault("initial", {"problem": problem})
        super().__init__(*args, **kwargs)
        self.entry_id = entry_id
        self.problem_text = str(self.data.get("problem") or "") if self.is_bound else problem
        # Own ids per row: the page has one of these forms per open discrepancy.
        self.auto_id = f"review_{entry_id}_{zlib.crc32(self.problem_text.encode()):08x}_%s"

    def is_for(self, entry_id: int, problem: str) -> bool:
        return self.entry_id == entry_id and self.problem_text.strip() == problem
