"""The clinic's scoring thresholds (/measures/scoring-thresholds/), the sibling of the
response-rules page.

Every signed-in clinician reads which cut-offs, bands and flag levels score this clinic's
patients, each with the library default, the allowed range and its source; only the admin and
the director (Perm.SCORING_THRESHOLDS) change them, with a reason. Every problem is shown at
once, under its field, with what was typed kept; nothing is saved on refusal. Always the
signed-in clinic's own thresholds: there is no clinic id in the URL to tamper with.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import require, staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry, actor_from_request, audit
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.thresholds import FIXED_LEVELS, LEVEL_FLOOR, check_values
from ketacare.measures.thresholds_settings import (
    ThresholdSetting,
    do_set_scoring_thresholds,
    settings_for,
)

HISTORY = 10


def field_name(key: str) -> str:
    return key.replace(".", "__")


class ScoringThresholdsForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the change",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the change, e.g. “PCL-5 ≥ 31 for our veterans programme”.",
        error_messages={"required": "Reason for the change: say why the thresholds change."},
    )

    def __init__(self, *args: Any, settings: list[ThresholdSetting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        fields: dict[str, forms.Field] = {}
        for s in settings:
            spec = s.spec
            help_text = f"Default {spec.default}; allowed {s.allowed}. Source: {spec.source}."
            field: forms.Field
            if spec.choices:
                field = forms.ChoiceField(
                    label=spec.label,
                    choices=spec.choices,
                    initial=s.current,
                    help_text=help_text,
                    error_messages={
                        "required": f"{spec.label}: choose one.",
                        "invalid_choice": f"{spec.label}: choose one of {s.allowed}.",
                    },
                )
            else:
                field = forms.IntegerField(
                    label=spec.label,
                    initial=s.current,
                    help_text=help_text,
                    error_messages={
                        "required": f"{spec.label}: give a number.",
                        "invalid": f"{spec.label}: give a whole number.",
                    },
                )
            fields[field_name(s.key)] = field
        fields["reason"] = self.fields["reason"]  # the reason comes last
        self.fields = fields

    def clean(self) -> dict[str, Any]:
        """The library's own checks (range, band order, the risk-flag floor) on every value
        that parsed, each problem under its field, all at once."""
        cleaned = super().clean() or {}
        values = {
            s.key: cleaned[field_name(s.key)]
            for s in self.settings
            if cleaned.get(field_name(s.key)) is not None
        }
        for key, reasons in check_values(values).items():
            name = field_name(key)
            if name in self.fields and name not in self.errors:
                for reason in reasons:
                    self.add_error(name, reason)
        return cleaned

    def values(self) -> dict[str, int | str]:
        return {s.key: self.cleaned_data[field_name(s.key)] for s in self.settings}


def _history(clinic: Clinic) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            clinic_id=clinic.pk, action="measures.scoring_thresholds.changed"
        ).order_by("-seq")[:HISTORY]
    )


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def scoring_thresholds_page(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    may_change = has_perm(request.membership, Perm.SCORING_THRESHOLDS)
    if request.method == "POST":
        require(request, Perm.SCORING_THRESHOLDS)
    current = settings_for(clinic)
    form = ScoringThresholdsForm(request.POST or None, settings=current)
    if request.method == "POST" and form.is_valid():
        try:
            do_set_scoring_thresholds(
                actor_from_request(request), clinic, form.values(), form.cleaned_data["reason"]
            )
        except ActionError as exc:
            name = field_name(exc.field)
            form.add_error(name if name in form.fields else None, exc.message)
        else:
            messages.success(request, "Scoring thresholds saved; they apply to new scores.")
            return redirect("measures_clinic:scoring_thresholds")
    if request.method == "GET":
        audit(
            request, "measures.scoring_thresholds.viewed", object_type="clinic", object_id=clinic.pk
        )
    return render(
        request,
        "measures_clinic/scoring_thresholds.html",
        {
            "form": form if may_change else None,
            "settings": current,
            "fixed_levels": sorted(FIXED_LEVELS.items()),
            "floor": dict(LEVEL_FLOOR),
            "history": _history(clinic),
            "may_change": may_change,
        },
        status=400 if request.method == "POST" else 200,
    )
