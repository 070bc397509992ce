"""A clinic's eligibility policy: the severity of each rule per route, and the thresholds.

The defaults come from rules.py and shared/reference/clinical.md. A clinic admin edits them
(`with_severity`, `from_changes`); the changes are what the app stores (`changes()`), so a
later change to the defaults reaches every clinic that did not override that rule. A rule's
severity can be raised freely, but never lowered below a locked default: the esketamine
[LABEL]/[REMS] rules and ketamine-injection-label hypersensitivity are the legal floor
(clinical.md, tag table). Trying raises ValueError naming the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType

from ketacare.clinical.eligibility.rules import RULES
from ketacare.clinical.findings import Route, Severity
from ketacare.clinical.interactions import (
    DEFAULT_DRUG_TABLE,
    DEFAULT_INTERACTION_RULES,
    DrugTable,
    InteractionRules,
)
from ketacare.clinical.treatment_resistance import DEFAULT_TRD_RULES, TrdRules

SeverityMap = Mapping[tuple[Route, str], Severity]


def default_severities() -> SeverityMap:
    return MappingProxyType(
        {
            (route, code): spec.severity
            for code, rule in RULES.items()
            for route in Route
            if (spec := rule.spec(route)) is not None
        }
    )


DEFAULT_SEVERITIES = default_severities()


@dataclass(frozen=True)
class EligibilityThresholds:
    # Baseline BP "elevated" above 140 systolic or 90 diastolic: the esketamine label's general
    # guide ([LABEL] S12, S9; clinical.md §3b, §9) and one IV clinic's rule ([PRACTICE] P3).
    bp_systolic_above_mmhg: int = 140
    bp_diastolic_above_mmhg: int = 90
    # Esketamine not approved under 18 ([LABEL] S3; §1, §3b); paediatric ketamine is research
    # only (§14).
    adult_age_years: int = 18
    # EU/UK esketamine label starts at 28 mg from 65 ([LABEL-EU] S9, §5b); BP surges increase
    # with age ([EVIDENCE] S37, §14).
    older_adult_age_years: int = 65
    # Trial eligibility limits, not session rules ([PRACTICE] P1; §3c, §9): SpO2 < 95%,
    # SBP < 90, HR < 50 or > 120. (SBP > 180 is covered by the elevated-BP rule.)
    spo2_below_pct: int = 95
    systolic_below_mmhg: int = 90
    heart_rate_below_bpm: int = 50
    heart_rate_above_bpm: int = 120
    # Weight basis for mg/kg dosing is unsettled above BMI 30 ([UNCONFIRMED] §7a, §14).
    bmi_above_kg_m2: Decimal = Decimal(30)

    def __post_init__(self) -> None:
        if not 0 < self.adult_age_years < self.older_adult_age_years:
            raise ValueError("need 0 < adult_age_years < older_adult_age_years")
        if not self.heart_rate_below_bpm < self.heart_rate_above_bpm:
            raise ValueError("need heart_rate_below_bpm < heart_rate_above_bpm")
        if not self.systolic_below_mmhg < self.bp_systolic_above_mmhg:
            raise ValueError("need systolic_below_mmhg < bp_systolic_above_mmhg")


def _check(route: Route, code: str, severity: Severity) -> None:
    rule = RULES.get(code)
    if rule is None:
        raise ValueError(f"{code}: no such eligibility rule")
    spec = rule.spec(route)
    if spec is None:
        raise ValueError(f"{code}: the rule does not apply to {route.value}")
    if not isinstance(severity, Severity):
        raise ValueError(f"{code}: {severity!r} is not a severity")
    if spec.locked and severity.strength < spec.severity.strength:
        raise ValueError(
            f"{code}: cannot be set below {spec.severity.value} for {route.value}; "
            f"{spec.source} is the legal floor"
        )


@dataclass(frozen=True)
class EligibilityPolicy:
    """Severities per (route, rule code) and the thresholds the rules use."""

    severities: SeverityMap = field(default_factory=lambda: DEFAULT_SEVERITIES)
    thresholds: EligibilityThresholds = field(default_factory=EligibilityThresholds)
    trd: TrdRules = field(default_factory=lambda: DEFAULT_TRD_RULES)
    interactions: InteractionRules = field(default_factory=lambda: DEFAULT_INTERACTION_RULES)
    drugs: DrugTable = field(default_factory=lambda: DEFAULT_DRUG_TABLE)
    name: str = "KetaCare defaults (shared/reference/clinical.md)"

    def __post_init__(self) -> None:
        merged = dict(DEFAULT_SEVERITIES)
        for (route, code), severity in self.severities.items():
            _check(Route(route), code, Severity(severity))
            merged[(Route(route), code)] = Severity(severity)
        object.__setattr__(self, "severities", MappingProxyType(merged))

    def severity(self, route: Route, code: str) -> Severity:
        return self.severities[(route, code)]

    def with_severity(
        self, code: str, severity: Severity, routes: Route | Iterable[Route] | None = None
    ) -> EligibilityPolicy:
        """A copy with `code` set to `severity` on `routes` (default: every route it has)."""
        if routes is None:
            chosen = [r for r in Route if (r, code) in DEFAULT_SEVERITIES]
        elif isinstance(routes, Route):
            chosen = [routes]
        else:
            chosen = list(routes)
        if not chosen:
            raise ValueError(f"{code}: no such eligibility rule")
        updated = dict(self.severities)
        for route in chosen:
            _check(route, code, severity)
            updated[(route, code)] = severity
        return replace(self, severities=MappingProxyType(updated))

    def changes(self) -> dict[str, dict[str, str]]:
        """Differences from the defaults, {route: {code: severity}}: what the app stores."""
        out: dict[str, dict[str, str]] = {}
        for (route, code), severity in sorted(self.severities.items()):
            if DEFAULT_SEVERITIES[(route, code)] is not severity:
                out.setdefault(route.value, {})[code] = severity.value
        return out

    @classmethod
    def from_changes(
        cls,
        changes: Mapping[str, Mapping[str, str]],
        thresholds: EligibilityThresholds | None = None,
        trd: TrdRules = DEFAULT_TRD_RULES,
        interactions: InteractionRules = DEFAULT_INTERACTION_RULES,
        drugs: DrugTable = DEFAULT_DRUG_TABLE,
        name: str = "clinic policy",
    ) -> EligibilityPolicy:
        """Rebuild a policy from stored `changes()`; bad routes, codes or severities raise
        ValueError naming them."""
        severities: dict[tuple[Route, str], Severity] = {}
        for route_name, codes in changes.items():
            try:
                route = Route(route_name)
            except ValueError:
                raise ValueError(f"{route_name}: no such route") from None
            for code, value in codes.items():
                try:
                    severity = Severity(value)
                except ValueError:
                    raise ValueError(f"{code}: {value!r} is not a severity") from None
                severities[(route, code)] = severity
        return cls(
            MappingProxyType(severities),
            thresholds or EligibilityThresholds(),
            trd,
            interactions,
            drugs,
            name,
        )


DEFAULT_POLICY = EligibilityPolicy()
