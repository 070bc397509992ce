"""Forms for the plan pages. They parse types and offer the protocol's choices; the actions
(`plans.actions.clean_personalisation`) apply the clinical checks and name the field. The
plan page shows both at once: the rules' problems with what the form could read sit beside
the form's own (`plans.views.edit`), so no threshold is repeated here."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from ketacare.clinical.protocols import Protocol, WeightBasis
from ketacare.clinical.scales import get_scale
from ketacare.plans.models import PLAN_TRANSITIONS, PlanStatus, TreatmentPlan

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The scales a target may be set on (issue #5: at least these five).
TARGET_SCALES = ("phq9", "madrs", "qids_sr16", "gad7", "pcl5")
CUSTOM = "custom"


class ChooseProtocolForm(forms.Form):
    protocol = forms.ChoiceField(label="Protocol", widget=forms.RadioSelect)

    def __init__(self, protocols: list[Protocol], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = [(p.code, p.name) for p in protocols]  # type: ignore[attr-defined]  # ChoiceField


def _number(value: Any) -> str:
    return "" if value is None else f"{value.normalize():f}"


class PersonaliseForm(forms.Form):
    """The personalised values of a plan; with `revising`, a required reason too."""

    dose_value = forms.CharField(label="Dose", required=False)
    weight_basis = forms.ChoiceField(label="Weight basis", required=False)
    concentration_mg_per_ml = forms.DecimalField(
        label="Concentration (mg/mL)", required=False, min_value=0, max_digits=8, decimal_places=3
    )
    frequency = forms.ChoiceField(label="Frequency", required=False)
    frequency_count = forms.IntegerField(
        label="Custom: sessions", required=False, min_value=1, max_value=7
    )
    frequency_per_days = forms.IntegerField(
        label="Custom: every … days", required=False, min_value=1, max_value=90
    )
    sessions_planned = forms.IntegerField(
        label="Sessions planned", required=False, min_value=1, max_value=200
    )
    goals = forms.CharField(
        label="Goals", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    starts_on = forms.DateField(label="Start date", required=False, widget=DATE)

    def __init__(
        self,
        protocol: Protocol,
        phase: str,
        *args: Any,
        plan: TreatmentPlan | None = None,
        revising: bool = False,
        **kwargs: Any,
    ) -> None:
        if plan is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(plan)
        super().__init__(*args, **kwargs)
        self.protocol, self.phase = protocol, phase
        rule = protocol.dose_for(phase)
        self.rule = rule
        default = f"protocol default ({_number(rule.value)} {rule.unit})"
        if rule.steps:
            self.fields["dose_value"] = forms.ChoiceField(
                label=f"Dose ({rule.unit})",
                required=False,
                choices=[("", default)]
                + [(_number(s), f"{_number(s)} {rule.unit}") for s in rule.steps],
            )
        else:
            self.fields["dose_value"].label = f"Dose ({rule.unit})"
            self.fields["dose_value"].help_text = f"Empty: {default}."
        if rule.is_weight_based:
            self.fields["weight_basis"].choices = [  # type: ignore[attr-defined]  # ChoiceField
                ("", f"protocol default ({rule.weight_basis.label})")
            ] + [(b.value, b.label) for b in WeightBasis]
        else:
            del self.fields["weight_basis"]
        if rule.kind.value == "devices_28mg":
            del self.fields["concentration_mg_per_ml"]
        elif rule.concentration_mg_per_ml:
            self.fields[
                "concentration_mg_per_ml"
            ].help_text = f"Empty: {_number(rule.concentration_mg_per_ml)} mg/mL."
        ph = protocol.phase(phase)
        choices = [("", "phase default (" + ph.frequencies[0].describe() + ")")]
        choices += [(f"{f.count}/{f.per_days}", f.describe()) for f in ph.frequencies]
        if not protocol.route.is_esketamine:
            choices.append((CUSTOM, "custom (below)"))
        else:
            del self.fields["frequency_count"], self.fields["frequency_per_days"]
        self.fields["frequency"].choices = choices  # type: ignore[attr-defined]  # ChoiceField
        self.fields["frequency"].label = f"Frequency in {ph.label.lower()}"
        if ph.sessions:
            self.fields["sessions_planned"].help_text = f"Empty: {ph.sessions} ({ph.label})."
        self.target_fields = []
        for code in TARGET_SCALES:
            scale = get_scale(code)
            name = f"target_{code}"
            self.fields[name] = forms.IntegerField(
                label=f"{scale.name.split(' (')[0]} below",
                required=False,
                min_value=scale.min_total,
                max_value=scale.max_total,
            )
            self.target_fields.append(name)
        if revising:
            self.fields["reason"] = forms.CharField(
                label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2})
            )

    @staticmethod
    def initial_from(plan: TreatmentPlan) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "dose_value": _number(plan.dose_value),
            "weight_basis": plan.weight_basis,
            "concentration_mg_per_ml": _number(plan.concentration_mg_per_ml),
            "sessions_planned": plan.sessions_planned,
            "goals": plan.goals,
            "starts_on": plan.starts_on,
        }
        if plan.frequency_count:
            initial["frequency"] = f"{plan.frequency_count}/{plan.frequency_per_days}"
        for target in plan.targets or []:
            initial[f"target_{target['scale']}"] = target["target"]
        return initial

    def frequency_fields(self) -> list[forms.BoundField]:
        return [
            self[n]
            for n in ("frequency", "frequency_count", "frequency_per_days")
            if n in self.fields
        ]

    def targets(self) -> list[forms.BoundField]:
        return [self[n] for n in self.target_fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Only for a number left out: one typed and refused already says what is wrong there.
        empty = [
            n
            for n in ("frequency_count", "frequency_per_days")
            if not data.get(n) and n not in self.errors
        ]
        if data.get("frequency") == CUSTOM and empty:
            where = empty[0] if "frequency_count" in self.errors else "frequency_count"
            self.add_error(where, "Give the number of sessions and the days.")
        return data

    def values(self) -> dict[str, Any]:
        """The personalisation for the action (`plans.actions.PERSONAL_FIELDS`)."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "dose_value": data.get("dose_value") or None,
            "sessions_planned": data.get("sessions_planned"),
            "goals": data.get("goals", ""),
            "starts_on": data.get("starts_on"),
        }
        if "weight_basis" in self.fields:
            out["weight_basis"] = data.get("weight_basis", "")
        if "concentration_mg_per_ml" in self.fields:
            out["concentration_mg_per_ml"] = data.get("concentration_mg_per_ml")
        choice = data.get("frequency") or ""
        count: int | None = None
        per_days: int | None = None
        if choice == CUSTOM:
            count, per_days = data.get("frequency_count"), data.get("frequency_per_days")
        elif choice:
            left, _, right = choice.partition("/")
            count, per_days = int(left), int(right)
        out["frequency_count"], out["frequency_per_days"] = count, per_days
        out["targets"] = [
            {"scale": name.removeprefix("target_"), "target": data[name], "comparison": "lt"}
            for name in self.target_fields
            if data.get(name) is not None
        ]
        return out

    def error_field(self, field: str, message: str = "") -> str | None:
        """Where an action's error on `field` shows in this form. A target's ("Target 2: …")
        shows under the score it is about: `values()` sends the filled ones in field order."""
        if field == "targets":
            filled = [n for n in self.target_fields if self.cleaned_data.get(n) is not None]
            nth = re.match(r"Target (\d+)\b", message)
            if nth and 0 < int(nth.group(1)) <= len(filled):
                return filled[int(nth.group(1)) - 1]
            return filled[0] if filled else None
        if (
            field in ("frequency_count", "frequency_per_days")
            and self.cleaned_data.get("frequency") != CUSTOM
        ):
            return "frequency"
        return field if field in self.fields else None


# A sign note or a status/phase reason is a sentence or a short paragraph in the plan's
# history; 2000 characters (about a page) leave room for that and catch a pasted letter (10,000
# characters were stored). Not a clinical limit. A plan review's note has its own (4000).
NOTE_MAX = 2000
NOTE_TOO_LONG = {
    "max_length": "Please keep this to %(limit_value)d characters or fewer: it has %(show_value)d."
}


def _note_field(label: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=NOTE_MAX,
        error_messages=NOTE_TOO_LONG,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatusForm(forms.Form):
    """Offers the statuses the plan may move to (the action re-checks under the row lock)."""

    status = forms.ChoiceField(
        label="New status",
        choices=[(s.value, s.label) for s in PlanStatus if s != PlanStatus.DRAFT],
    )
    reason = _note_field("Reason")

    def __init__(self, *args: Any, current: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = PLAN_TRANSITIONS.get(current, frozenset())
        if current and allowed:
            self.fields["status"].choices = [  # type: ignore[attr-defined]  # ChoiceField
                (s.value, s.label) for s in PlanStatus if s in allowed
            ]


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label="Move to phase")
    reason = _note_field("Reason")

    def __init__(self, protocol: Protocol, current: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [  # type: ignore[attr-defined]  # ChoiceField
            (p.code, p.label) for p in protocol.phases if p.code != current
        ]


class SignForm(forms.Form):
    note = _note_field("Note (optional)", required=False)
