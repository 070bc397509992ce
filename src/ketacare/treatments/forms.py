"""Forms for the chair: each parses input; the rules live in `treatments.actions`."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.accounts.actions import ActionError
from ketacare.clinical.predose import MEDICATION_CLASSES
from ketacare.clinical.sedation import CADSS6_ITEMS, cadss6_total
from ketacare.clinical.vitals import VitalSigns, implausible
from ketacare.core.form_errors import add_refusals
from ketacare.treatments.checks import CheckItem, answer_problems, missing_readings
from ketacare.treatments.models import AlertAction, CheckResult

# The readings of VitalSigns (the rest of the quick fields are the MOAA/S and CADSS-6 scores).
READINGS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_pct")
READINGS_MORE = ("resp_rate_per_min", "temperature_c")


def _number(label: str, *, decimal: bool = False, required: bool = False) -> forms.Field:
    attrs = {
        "inputmode": "decimal" if decimal else "numeric",
        "class": "big-input",
        "autocomplete": "off",
    }
    if decimal:
        return forms.DecimalField(
            label=label, required=required, widget=forms.TextInput(attrs=attrs)
        )
    return forms.IntegerField(label=label, required=required, widget=forms.TextInput(attrs=attrs))


class VitalsForm(forms.Form):
    """A few big fields, in the order a nurse reads the monitor."""

    systolic_mmhg = _number("SBP")
    diastolic_mmhg = _number("DBP")
    heart_rate_bpm = _number("HR")
    spo2_pct = _number("SpO₂ %")
    resp_rate_per_min = _number("RR")
    temperature_c = _number("Temp °C", decimal=True)
    moaas = _number("MOAA/S (0–5)")
    cadss6 = _number("CADSS-6 (0–24)")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # CADSS-6 item by item (instruments.md §8): optional; when rated, the total is theirs.
        for number in CADSS6_ITEMS:
            self.fields[f"cadss_{number}"] = forms.IntegerField(
                label=f"CADSS item {number}",
                required=False,
                min_value=0,
                max_value=4,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        add_refusals(self, self.value_problems(data))
        items = {n: data.get(f"cadss_{n}") for n in CADSS6_ITEMS}
        rated = {n: v for n, v in items.items() if v is not None}
        if not rated:
            return data
        try:
            total = cadss6_total(rated)
        except ValueError as exc:
            name, _, message = str(exc).partition(": ")
            self.add_error(name if name in self.fields else None, message)
            return data
        typed = data.get("cadss6")
        if typed is not None and typed != total:
            self.add_error("cadss6", f"The six items add up to {total}, not {typed}.")
        data["cadss6"] = total
        return data

    def value_problems(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        """Every typed value the chair's rules refuse, at once: `clean_vitals` (which the action
        runs again) stops at the first, and a nurse with six wrong values would send the form
        six times. The rules and their words are the action's own."""
        from ketacare.treatments.actions import clean_vitals  # the action module imports much

        typed = {name: data.get(name) for name in (*READINGS, *READINGS_MORE) if name in data}
        problems = implausible(VitalSigns(**typed))
        named = {name for name, _ in problems}
        # One at a time, so one refused value does not hide the next.
        for name in ("temperature_c", "moaas", "cadss6"):
            value = data.get(name)
            if value is None or name in named or name in self.errors:
                continue
            try:
                clean_vitals({name: value})
            except ActionError as exc:
                problems.append((exc.field, exc.message))
        return [(name, message) for name, message in problems if name not in self.errors]

    def quick_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in VitalsForm.base_fields]

    def cadss_fields(self) -> list[forms.BoundField]:
        return [self[f"cadss_{n}"] for n in CADSS6_ITEMS]

    def cadss_open(self) -> bool:
        return any(f.errors or f.value() not in (None, "") for f in self.cadss_fields())


class ChecksForm(VitalsForm):
    """The checklist items of the session's protocol, then the pre-dose vitals."""

    def __init__(
        self, *args: Any, items: list[CheckItem], scores_required: bool = False, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.items = items
        self.scores_required = scores_required
        for item in items:
            choices = [c for c in CheckResult.choices if item.allow_na or c[0] != CheckResult.NA]
            self.fields[item.code] = forms.ChoiceField(
                label=item.label, choices=choices, widget=forms.RadioSelect, required=False
            )
            self.fields[f"{item.code}_note"] = forms.CharField(
                label="Note", required=False, max_length=500
            )
            if item.code == "medication_changes":
                # Which classes were started, stopped or changed (clinical.md §4): any one
                # holds the dose for the prescriber (`clinical.predose`).
                self.fields["medication_classes"] = forms.MultipleChoiceField(
                    label="Started, stopped or changed since the last visit",
                    choices=[(code, label) for code, label, _ in MEDICATION_CLASSES],
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                    help_text="Any tick holds the dose for the prescriber's decision; say "
                    "what changed in the note.",
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # What `do_record_checks` refuses one at a time (in its words), shown all at once.
        problems = answer_problems(self.items, data) + missing_readings(data, self.scores_required)
        problems = [(name, message) for name, message in problems if name not in self.errors]
        add_refusals(self, problems)
        return data

    def answers(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            i.code: (data.get(i.code) or "", data.get(f"{i.code}_note") or "") for i in self.items
        }

    def medication_classes(self) -> list[str]:
        return list(self.cleaned_data.get("medication_classes") or [])

    def vitals(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in VitalsForm.base_fields}

    def item_rows(
        self,
    ) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField | None]]:
        """Each item's answer and note, and the classes ticked for medication changes."""
        return [
            (
                self[i.code],
                self[f"{i.code}_note"],
                self["medication_classes"] if i.code == "medication_changes" else None,
            )
            for i in self.items
        ]

    def vital_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in VitalsForm.base_fields]


class HoldForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("proceed", "Proceed with dosing"), ("stop", "Do not dose today")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Documented reason", widget=forms.Textarea(attrs={"rows": 2}))
    # When the page was shown: a decision on a hold that changed since is asked again.
    seen_at = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)


class DoseForm(forms.Form):
    lot_id = forms.IntegerField(
        label="Lot (controlled-substance log)",
        required=False,
        widget=forms.Select,
        help_text="Fills the lot number and expiry.",
    )
    drug = forms.CharField(max_length=120, required=False, help_text="Blank: the plan's drug.")
    concentration_mg_per_ml = forms.DecimalField(
        label="Concentration (mg/mL)", required=False, min_value=0
    )
    lot_number = forms.CharField(label="Lot number", max_length=60, required=False)
    expiry = forms.DateField(
        label="Expiry", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    given_mg = forms.DecimalField(
        label="Dose given (mg)",
        required=False,
        help_text="Below the calculated dose: say why. Above it: a prescriber only.",
    )
    deviation_reason = forms.CharField(
        label="Reason, if different from the calculated dose",
        required=False,
        max_length=500,
        help_text="A few words (at least 10 characters).",
    )


class AckForm(forms.Form):
    """One alert's acknowledgement. Each open alert has its own form on the session page:
    `alert_id` gives its fields ids of their own (the field names stay `action` and `note`).
    `repeat_min`: the clinic's repeat time, named in the "repeat the reading" choice."""

    action = forms.ChoiceField(label="Action taken", choices=[("", "—"), *AlertAction.choices])
    note = forms.CharField(required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        alert_id: int | None = None,
        repeat_min: int | None = None,
        **kwargs: Any,
    ) -> None:
        if alert_id is not None:
            kwargs.setdefault("auto_id", f"id_alert{alert_id}_%s")
        super().__init__(*args, **kwargs)
        if repeat_min is not None:
            field = self.fields["action"]
            assert isinstance(field, forms.ChoiceField)
            repeat = f"Repeat the reading in {repeat_min} minutes"
            field.choices = [("", "—")] + [
                (value, repeat if value == AlertAction.REPEAT_5MIN else label)
                for value, label in AlertAction.choices
            ]


class DischargeForm(forms.Form):
    escort_confirmed = forms.BooleanField(
        label="Escort present / safe transport home confirmed", required=False
    )
    escort_name = forms.CharField(label="Escort's name", required=False, max_length=120)
    override_reason = forms.CharField(
        label="Prescriber override: reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # When the page was shown: an override of a record that changed since is asked again.
    seen_at = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)


def _given_before_stop(help_text: str) -> forms.DecimalField:
    """The amount of an infusion given before it was stopped (mg)."""
    return forms.DecimalField(
        label="Amount given before the stop (mg)",
        required=False,
        min_value=0,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class StopForm(forms.Form):
    """Before any drug: abort the session. While dosing: stop the dosing (monitoring goes on);
    for an infusion, the amount given before the stop."""

    reason = forms.CharField(label="Reason", max_length=500)
    given_mg = _given_before_stop("Infusion: volume infused × concentration.")

    def __init__(self, *args: Any, **kwargs: Any):
        # Its own ids: the infusion and transfer forms on the same page have a "reason" too.
        kwargs.setdefault("auto_id", "stop_%s")
        super().__init__(*args, **kwargs)


class TransferForm(forms.Form):
    """An emergency transfer out after a drug was given: the only end without discharge."""

    reason = forms.CharField(
        label="Reason and where to (e.g. to the ED by ambulance)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    given_mg = _given_before_stop(
        "Only while an infusion is running: volume infused × concentration."
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", "transfer_%s")
        super().__init__(*args, **kwargs)


class CheckInForm(forms.Form):
    appointment = forms.CharField(widget=forms.HiddenInput)
