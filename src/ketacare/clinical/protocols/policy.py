"""A clinic's edits to a library protocol, and the esketamine label floor they cannot cross.

An edit is a mapping of dotted paths to JSON-friendly values plus a documented reason:

    edits = ProtocolEdits({"dose.max_dose_mg": "100", "dose.weight_basis": "adjusted",
                           "phases.induction.min_interval_hours": 44}, reason="MD sign-off 2026-05")
    clinic_iv = apply_edits(LIBRARY["iv_ketamine_depression"], edits)   # version 2

`EDITABLE_FIELDS` lists the paths (phases as `phases.<phase code>.<field>`). The app stores
`protocol_changes(clinic_protocol)` — only the differences from the library default, so a
later correction of a default reaches every clinic that did not change that field — with the
reason and version, and rebuilds with `apply_edits(LIBRARY[code], ProtocolEdits(...))`.

Racemic ketamine protocols are off-label ([GUIDELINE]/[EVIDENCE]/[PRACTICE]): every listed
field is editable within internal consistency. Esketamine protocols carry a `LabelFloor`
([LABEL]/[REMS], clinical.md tag table: "hard rule ... the legal floor"): the dose stays in
whole 28 mg devices among the label doses with the label start dose, devices ≥5 min apart,
observation ≥120 min from the first device, BP at 0 and ~40 min, the label checks, the label
schedule (a clinic may only narrow the week-9+ choice) and the week-4 review. Crossing the floor
raises ValueError naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from ketacare.clinical.protocols.library import LIBRARY
from ketacare.clinical.protocols.model import (
    Frequency,
    ObservationStart,
    Phase,
    Protocol,
    RequiredCheck,
    WeightBasis,
)

Parser = Callable[[str, Any], Any]


def _dec(path: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"{path}: expected a decimal number as text, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{path}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{path}: {value!r} is not a finite number")
    return number


def _dec_opt(path: str, value: Any) -> Decimal | None:
    return None if value is None else _dec(path, value)


def _int(path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{path}: expected a whole number, got {value!r}")
    return value


def _int_opt(path: str, value: Any) -> int | None:
    return None if value is None else _int(path, value)


def _list(path: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{path}: expected a list, got {value!r}")
    return list(value)


def _decs(path: str, value: Any) -> tuple[Decimal, ...]:
    return tuple(_dec(path, v) for v in _list(path, value))


def _ints(path: str, value: Any) -> tuple[int, ...]:
    return tuple(_int(path, v) for v in _list(path, value))


def _basis(path: str, value: Any) -> WeightBasis:
    try:
        return WeightBasis(value)
    except ValueError:
        raise ValueError(f"{path}: {value!r} is not one of actual, ideal, adjusted") from None


def _checks(path: str, value: Any) -> tuple[RequiredCheck, ...]:
    out = []
    for item in _list(path, value):
        try:
            out.append(RequiredCheck(item))
        except ValueError:
            raise ValueError(f"{path}: {item!r} is not a known check") from None
    return tuple(out)


def _weeks(path: str, value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    pair = _ints(path, value)
    if len(pair) != 2:
        raise ValueError(f"{path}: expected [min weeks, max weeks]")
    return pair[0], pair[1]


def _frequencies(path: str, value: Any) -> tuple[Frequency, ...]:
    out = []
    for item in _list(path, value):
        pair = _ints(path, item)
        if len(pair) != 2:
            raise ValueError(f"{path}: each frequency is [sessions, per days]")
        try:
            out.append(Frequency(*pair))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return tuple(out)


def _text(path: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: expected non-empty text")
    return value.strip()


_DOSE_FIELDS: Mapping[str, Parser] = {
    "value": _dec,
    "weight_basis": _basis,
    "steps": _decs,
    "first_session_value": _dec_opt,
    "max_dose_mg": _dec_opt,
    "max_rate_mg_per_h": _dec_opt,
    "min_dose_mg": _dec_opt,
    "duration_min": _int_opt,
    "concentration_mg_per_ml": _dec_opt,
    "device_interval_min": _int_opt,
}
_MONITORING_FIELDS: Mapping[str, Parser] = {
    "min_observation_min": _int,
    "vitals_interval_during_min": _int_opt,
    "vitals_interval_after_min": _int_opt,
    "bp_check_times_min": _ints,
    "required_checks": _checks,
}
_PHASE_FIELDS: Mapping[str, Parser] = {
    "frequencies": _frequencies,
    "sessions": _int_opt,
    "weeks": _weeks,
    "min_interval_hours": _int_opt,
}
_STOP_FIELDS: Mapping[str, Parser] = {
    "after_session": _int_opt,
    "hours_after": _int_opt,
    "min_improvement_pct": _dec_opt,
}

# Path patterns a clinic may edit; `<phase>` is a phase code of the protocol.
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    *(f"dose.{name}" for name in _DOSE_FIELDS),
    *(f"monitoring.{name}" for name in _MONITORING_FIELDS),
    *(f"phases.<phase>.{name}" for name in _PHASE_FIELDS),
    *(f"stop_rule.{name}" for name in _STOP_FIELDS),
)


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Frequency):
        return [value.count, value.per_days]
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, WeightBasis | RequiredCheck):
        return value.value
    return value


def _paths(protocol: Protocol) -> list[str]:
    paths = ["name"]
    paths += [f"dose.{n}" for n in _DOSE_FIELDS]
    paths += [f"monitoring.{n}" for n in _MONITORING_FIELDS]
    paths += [f"phases.{p.code}.{n}" for p in protocol.phases for n in _PHASE_FIELDS]
    if protocol.stop_rule is not None:
        paths += [f"stop_rule.{n}" for n in _STOP_FIELDS]
    return paths


def _get(protocol: Protocol, path: str) -> Any:
    parts = path.split(".")
    if parts[0] == "phases":
        return getattr(protocol.phase(parts[1]), parts[2])
    target: Any = protocol
    for part in parts:
        target = getattr(target, part)
    return target


def _parse(protocol: Protocol, path: str, raw: Any) -> tuple[str, str, Any]:
    """(component, field, typed value) for one edit; ValueError naming the path."""
    parts = path.split(".")
    if parts == ["name"]:
        return "", "name", _text(path, raw)
    head = parts[0]
    if head == "dose" and len(parts) == 2 and parts[1] in _DOSE_FIELDS:
        if parts[1] == "weight_basis" and not protocol.dose.is_weight_based:
            raise ValueError(f"{path}: a fixed or device dose does not use a weight basis")
        return "dose", parts[1], _DOSE_FIELDS[parts[1]](path, raw)
    if head == "monitoring" and len(parts) == 2 and parts[1] in _MONITORING_FIELDS:
        return "monitoring", parts[1], _MONITORING_FIELDS[parts[1]](path, raw)
    if head == "phases" and len(parts) == 3 and parts[2] in _PHASE_FIELDS:
        if parts[1] not in {p.code for p in protocol.phases}:
            raise ValueError(f"{path}: {protocol.code} has no phase {parts[1]!r}")
        return f"phases.{parts[1]}", parts[2], _PHASE_FIELDS[parts[2]](path, raw)
    if head == "stop_rule" and len(parts) == 2 and parts[1] in _STOP_FIELDS:
        if protocol.stop_rule is None:
            raise ValueError(f"{path}: {protocol.code} has no stop rule")
        return "stop_rule", parts[1], _STOP_FIELDS[parts[1]](path, raw)
    raise ValueError(f"{path}: not an editable field (see EDITABLE_FIELDS)")


def _apply(protocol: Protocol, changes: Mapping[str, Any]) -> Protocol:
    """All changes to one part are applied together, so that e.g. new steps and a new value
    among them are checked as a pair rather than one at a time."""
    grouped: dict[str, dict[str, Any]] = {}
    for path in sorted(changes):
        component, name, value = _parse(protocol, path, changes[path])
        grouped.setdefault(component, {})[name] = value
    updates: dict[str, Any] = dict(grouped.pop("", {}))
    if "dose" in grouped:
        updates["dose"] = replace(protocol.dose, **grouped.pop("dose"))
    if "monitoring" in grouped:
        updates["monitoring"] = replace(protocol.monitoring, **grouped.pop("monitoring"))
    if "stop_rule" in grouped:
        assert protocol.stop_rule is not None  # _parse refused edits to a missing stop rule
        updates["stop_rule"] = replace(protocol.stop_rule, **grouped.pop("stop_rule"))
    if grouped:
        updates["phases"] = tuple(
            replace(p, **grouped.get(f"phases.{p.code}", {})) for p in protocol.phases
        )
    return replace(protocol, **updates)


def label_floor_problems(protocol: Protocol) -> tuple[tuple[str, str], ...]:
    """(field, reason) for every way `protocol` crosses its esketamine label floor."""
    floor = protocol.label_floor
    if floor is None:
        return ()
    src = f"{floor.source} [{floor.tag.value}]"
    problems: list[tuple[str, str]] = []
    dose = protocol.dose
    if dose.device_mg != floor.device_mg:
        problems.append(("dose.device_mg", f"esketamine devices are {floor.device_mg} mg ({src})"))
    if dose.device_interval_min is None or dose.device_interval_min < floor.min_device_interval_min:
        problems.append(
            (
                "dose.device_interval_min",
                f"at least {floor.min_device_interval_min} min between devices ({src})",
            )
        )
    doses = set(dose.steps or (dose.value,))
    allowed = ", ".join(str(d) for d in sorted(floor.allowed_doses_mg))
    if not doses <= floor.allowed_doses_mg:
        problems.append(("dose.steps", f"the label doses are {allowed} mg ({src})"))
    # Lower doses the label allows up to the start dose stay available (e.g. MDSI 84 -> 56 mg
    # for tolerability, §5c).
    if not {d for d in floor.allowed_doses_mg if d <= floor.start_dose_mg} <= doses:
        problems.append(("dose.steps", f"the label's lower doses must stay available ({src})"))
    if dose.value not in floor.allowed_doses_mg:
        problems.append(("dose.value", f"the label doses are {allowed} mg ({src})"))
    if dose.first_session_value != floor.start_dose_mg:
        problems.append(
            (
                "dose.first_session_value",
                f"the label start dose is {floor.start_dose_mg} mg ({src})",
            )
        )
    if dose.max_dose_mg is not None and dose.max_dose_mg < floor.start_dose_mg:
        problems.append(
            ("dose.max_dose_mg", f"below the label start dose {floor.start_dose_mg} mg ({src})")
        )
    monitoring = protocol.monitoring
    if monitoring.min_observation_min < floor.min_observation_min:
        problems.append(
            (
                "monitoring.min_observation_min",
                f"at least {floor.min_observation_min} min from the first device ({src})",
            )
        )
    if monitoring.observation_from is not ObservationStart.FIRST_DEVICE:
        problems.append(("monitoring.observation_from", f"timed from the first device ({src})"))
    if not floor.bp_check_times_min <= set(monitoring.bp_check_times_min):
        times = ", ".join(str(t) for t in sorted(floor.bp_check_times_min))
        problems.append(("monitoring.bp_check_times_min", f"BP at {times} min is required ({src})"))
    missing = floor.required_checks - set(monitoring.required_checks)
    if missing:
        names = ", ".join(sorted(c.value for c in missing))
        problems.append(("monitoring.required_checks", f"{names} cannot be removed ({src})"))
    problems += _schedule_problems(protocol.phases, floor.phases, src)
    weeks = {r.after_week for r in protocol.review_points}
    if not floor.review_weeks <= weeks:
        problems.append(("review_points", f"the week-4 benefit review is required ({src})"))
    return tuple(problems)


def _schedule_problems(
    phases: tuple[Phase, ...], floor: tuple[Phase, ...], src: str
) -> list[tuple[str, str]]:
    if [p.code for p in phases] != [p.code for p in floor]:
        return [("phases", f"the label schedule's phases cannot change ({src})")]
    problems = []
    for phase, label in zip(phases, floor, strict=True):
        where = f"phases.{phase.code}"
        for name in ("kind", "sessions", "weeks", "dose"):
            if getattr(phase, name) != getattr(label, name):
                problems.append((f"{where}.{name}", f"fixed by the label schedule ({src})"))
        if not set(phase.frequencies) <= set(label.frequencies):
            allowed = " or ".join(f.describe() for f in label.frequencies)
            problems.append((f"{where}.frequencies", f"the label allows {allowed} ({src})"))
    return problems


def check_label_floor(protocol: Protocol) -> None:
    """Raise ValueError naming the first field that crosses the label floor, if any."""
    problems = label_floor_problems(protocol)
    if problems:
        field, reason = problems[0]
        raise ValueError(f"{field}: {reason}")


@dataclass(frozen=True)
class ProtocolEdits:
    """Edits a clinic makes: {path: JSON value}, why, and optionally the version to stamp."""

    changes: Mapping[str, Any]
    reason: str
    version: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError("reason: document why the protocol is changed")
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))

    def apply(self, base: Protocol) -> Protocol:
        return apply_edits(base, self)


def apply_edits(base: Protocol, edits: ProtocolEdits) -> Protocol:
    """A new version of `base` with `edits` applied, checked for consistency and, for
    esketamine, against the label floor. ValueError names the offending field."""
    version = base.version + 1 if edits.version is None else edits.version
    if version <= base.version:
        raise ValueError(f"version: must be above {base.version}")
    protocol = _apply(base, edits.changes)
    check_label_floor(protocol)
    return replace(protocol, version=version, change_note=edits.reason.strip())


def protocol_changes(protocol: Protocol, base: Protocol | None = None) -> dict[str, Any]:
    """{path: JSON value} where `protocol` differs from `base` (default: the library version
    of the same code): what the app stores."""
    if base is None:
        if protocol.code not in LIBRARY:
            raise ValueError(f"protocol: no library protocol {protocol.code!r}; pass base")
        base = LIBRARY[protocol.code]
    if [p.code for p in protocol.phases] != [p.code for p in base.phases]:
        raise ValueError("phases: the phases differ from the base; changes cannot be listed")
    out: dict[str, Any] = {}
    for path in _paths(protocol):
        value = _get(protocol, path)
        if value != _get(base, path):
            out[path] = _to_json(value)
    return out
