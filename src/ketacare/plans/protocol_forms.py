"""The admin's protocol edit form, built from the protocol's editable fields (policy.py).

Each editable path (`dose.max_dose_mg`, `phases.induction.frequencies`, ...) becomes one form
field named with `__` for the dots; lists are typed as text ("0.25, 0.5", "2/7, 3/7", "2-3").
`changes()` returns only the paths whose value differs from the version in force, in the JSON
shape `clinical.protocols.apply_edits` expects. The clinical checks (consistency, the
esketamine label floor) stay in the action; its errors name a path, mapped back here.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from ketacare.clinical.protocols import (
    EDITABLE_FIELDS,
    Frequency,
    Protocol,
    RequiredCheck,
    WeightBasis,
)

DECIMALS = {
    "value",
    "first_session_value",
    "max_dose_mg",
    "max_rate_mg_per_h",
    "min_dose_mg",
    "concentration_mg_per_ml",
    "min_improvement_pct",
}
REQUIRED = {"value", "min_observation_min", "name"}
HELP = {
    "steps": "Comma-separated, increasing: 0.25, 0.5, 0.75",
    "bp_check_times_min": "Minutes from the start, comma-separated: 0, 40",
    "frequencies": "Sessions/days, comma-separated: 2/7, 3/7 (twice or thrice weekly)",
    "weeks": "min-max weeks, e.g. 2-3; empty for open-ended",
}


def field_name(path: str) -> str:
    return path.replace(".", "__")


def editable_paths(protocol: Protocol) -> list[str]:
    """EDITABLE_FIELDS expanded for this protocol (its phases; stop rule if it has one)."""
    out: list[str] = []
    for pattern in EDITABLE_FIELDS:
        if pattern == "dose.weight_basis" and not protocol.dose.is_weight_based:
            continue
        if pattern.startswith("stop_rule.") and protocol.stop_rule is None:
            continue
        if "<phase>" in pattern:
            out += [pattern.replace("<phase>", p.code) for p in protocol.phases]
        else:
            out.append(pattern)
    return out


def current_value(protocol: Protocol, path: str) -> Any:
    parts = path.split(".")
    target: Any = protocol.phase(parts[1]) if parts[0] == "phases" else protocol
    for part in parts[2:] if parts[0] == "phases" else parts:
        target = getattr(target, part)
    return target


def _text(leaf: str, value: Any) -> Any:
    """The value as the form shows it."""
    if value is None:
        return ""
    if leaf == "required_checks":
        return [c.value for c in value]
    if leaf == "frequencies":
        return ", ".join(f"{f.count}/{f.per_days}" for f in value)
    if leaf == "weeks":
        return f"{value[0]}-{value[1]}"
    if isinstance(value, tuple):
        return ", ".join(f"{v:f}" if isinstance(v, Decimal) else str(v) for v in value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, WeightBasis):
        return value.value
    return str(value)


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise forms.ValidationError(f"{raw!r} is not a whole number.") from None


def _dec(raw: str) -> Decimal:
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise forms.ValidationError(f"{raw!r} is not a number.") from None
    if not number.is_finite():
        raise forms.ValidationError(f"{raw!r} is not a number.")
    return number


def parse(leaf: str, raw: Any) -> Any:
    """Typed value of one field (Decimal, int, tuples...) or None when left empty."""
    if leaf == "required_checks":
        return tuple(RequiredCheck(v) for v in raw)
    raw = (raw or "").strip()
    if not raw:
        if leaf in REQUIRED:
            raise forms.ValidationError("This field is required.")
        if leaf in ("steps", "bp_check_times_min"):
            return ()
        if leaf == "frequencies":
            raise forms.ValidationError("Give at least one frequency, e.g. 2/7.")
        return None
    if leaf == "name" or leaf == "weight_basis":
        return WeightBasis(raw) if leaf == "weight_basis" else raw
    if leaf in DECIMALS:
        return _dec(raw)
    if leaf == "steps":
        return tuple(_dec(v) for v in _split(raw))
    if leaf == "bp_check_times_min":
        return tuple(_int(v) for v in _split(raw))
    if leaf == "weeks":
        low, sep, high = raw.partition("-")
        if not sep:
            return (_int(low.strip()), _int(low.strip()))
        return (_int(low.strip()), _int(high.strip()))
    if leaf == "frequencies":
        out = []
        for item in _split(raw):
            count, sep, days = item.partition("/")
            if not sep:
                raise forms.ValidationError(f"{item!r}: write sessions/days, e.g. 2/7.")
            try:
                out.append(Frequency(_int(count.strip()), _int(days.strip())))
            except ValueError:
                raise forms.ValidationError(f"{item!r}: both numbers at least 1.") from None
        return tuple(out)
    return _int(raw)


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, Frequency):
        return [value.count, value.per_days]
    if isinstance(value, WeightBasis | RequiredCheck):
        return value.value
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    return value


def _label(path: str) -> str:
    parts = path.split(".")
    leaf = parts[-1].replace("_", " ")
    leaf = leaf.replace(" mg per h", " (mg/h)").replace(" mg per ml", " (mg/mL)")
    leaf = leaf.replace(" mg", " (mg)").replace(" min", " (min)").replace(" hours", " (h)")
    leaf = leaf.replace(" pct", " (%)")
    if parts[0] == "phases":
        return f"{parts[1].replace('_', ' ').capitalize()}: {leaf}"
    if parts[0] == "name":
        return "Name"
    return leaf.capitalize()


class ProtocolEditForm(forms.Form):
    reason = forms.CharField(
        label="Reason for this version",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who approved it and why (e.g. medical director sign-off).",
    )

    def __init__(self, protocol: Protocol, *args: Any, **kwargs: Any) -> None:
        self.protocol = protocol
        self.paths = editable_paths(protocol)
        initial = {
            field_name(p): _text(p.split(".")[-1], current_value(protocol, p)) for p in self.paths
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason")
        for path in self.paths:
            leaf = path.split(".")[-1]
            field: forms.Field
            if leaf == "required_checks":
                field = forms.MultipleChoiceField(
                    choices=[(c.value, c.label) for c in RequiredCheck],
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
            elif leaf == "weight_basis":
                field = forms.ChoiceField(choices=[(b.value, b.label) for b in WeightBasis])
            else:
                field = forms.CharField(required=leaf in REQUIRED, max_length=200)
            field.label = _label(path)
            field.help_text = HELP.get(leaf, "")
            self.fields[field_name(path)] = field
        self.fields["reason"] = reason

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields grouped as the protocol page shows them."""
        titles = {"name": "Protocol", "dose": "Dose rule", "monitoring": "Monitoring"}
        out: dict[str, list[forms.BoundField]] = {}
        for path in self.paths:
            head = path.split(".")[0]
            title = titles.get(head, "Stop rule" if head == "stop_rule" else "")
            if head == "phases":
                title = f"Phase: {self.protocol.phase(path.split('.')[1]).label}"
            out.setdefault(title, []).append(self[field_name(path)])
        return list(out.items())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._changes: dict[str, Any] = {}
        for path in self.paths:
            name = field_name(path)
            if name not in data:
                continue
            leaf = path.split(".")[-1]
            try:
                value = parse(leaf, data[name])
            except forms.ValidationError as problem:
                self.add_error(name, problem)
                continue
            now = current_value(self.protocol, path)
            same = set(value) == set(now) if leaf == "required_checks" else value == now
            if not same:
                if leaf == "required_checks":
                    value = tuple(c for c in RequiredCheck if c in set(value))
                self._changes[path] = to_json(value)
        if not self.errors and not self._changes:
            raise forms.ValidationError("Nothing was changed: edit at least one value.")
        return data

    def changes(self) -> dict[str, Any]:
        return dict(self._changes)

    def error_field(self, path: str) -> str | None:
        name = field_name(path)
        return name if name in self.fields else None


class AvailabilityForm(forms.Form):
    available = forms.TypedChoiceField(
        choices=[("1", "Offer for new plans"), ("0", "Withdraw from new plans")],
        coerce=lambda v: v == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))
