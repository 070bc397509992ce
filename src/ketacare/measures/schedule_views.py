"""The clinic's measurement schedule (/measures/schedule/): which scales are due when.

Admins and prescribers (Perm.SCHEDULE_MANAGE) add rules and disable or re-enable them; rules
are never deleted, so the due items they made keep their explanation. A clinic without any
rule gets the defaults in `scheduling.DEFAULT_RULES` the first time this page (or the
schedule) runs.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import actor_from_request
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.scales import SCALES
from ketacare.measures import scheduling
from ketacare.measures.calendar_rules import MAINTENANCE_DEFAULT_DAYS
from ketacare.measures.models import RuleKind, ScheduleRule

# An ICD-10-CM code or the start of one: letter, digit, then up to 5 more (a dot optional).
PREFIX = re.compile(r"^[A-Z][0-9][0-9A-Z]?(\.?[0-9A-Z]{0,4})?$")


class ScheduleRuleForm(forms.ModelForm):
    scale_code = forms.ChoiceField(
        label="Questionnaire", choices=[(s.code, s.name) for s in SCALES.values()]
    )

    class Meta:
        model = ScheduleRule
        fields = ["scale_code", "kind", "interval_days", "grace_days", "diagnosis_prefixes"]
        labels = {
            "kind": "When",
            "interval_days": "Every how many days",
            "grace_days": "Grace days before overdue",
            "diagnosis_prefixes": "Only for diagnoses starting with",
        }
        help_texts = {
            "interval_days": "For “every N days” and “during maintenance” rules; a maintenance "
            "rule left blank is weekly.",
        }

    def clean_diagnosis_prefixes(self) -> str:
        text = self.cleaned_data.get("diagnosis_prefixes") or ""
        prefixes = [p.strip().upper() for p in text.split(",") if p.strip()]
        for prefix in prefixes:
            if not PREFIX.match(prefix):
                raise forms.ValidationError(
                    f"“{prefix}” is not the start of an ICD-10-CM code (e.g. F43.1 or F33)."
                )
        return ", ".join(prefixes)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, days = data.get("kind"), data.get("interval_days")
        if kind == RuleKind.INTERVAL and not days:
            self.add_error("interval_days", "Say how many days apart (e.g. 7 for weekly).")
        if kind == RuleKind.MAINTENANCE and not days:
            data["interval_days"] = MAINTENANCE_DEFAULT_DAYS  # "weekly during maintenance"
        if kind not in (RuleKind.INTERVAL, RuleKind.MAINTENANCE):
            data["interval_days"] = None
        return data


@staff_view(Perm.SCHEDULE_MANAGE)
@require_http_methods(["GET", "POST"])
def schedule_page(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    actor = actor_from_request(request)
    form = ScheduleRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = scheduling.do_add_rule(actor, clinic, form.cleaned_data)
        messages.success(request, f"Added: {rule.scale_code} — {rule.get_kind_display()}.")
        return redirect("measures_clinic:schedule")
    if scheduling.ensure_default_rules(clinic, actor):
        messages.info(request, "This clinic had no schedule yet: the recommended one was added.")
    rules = list(ScheduleRule.objects.filter(clinic=clinic).order_by("-is_active", "scale_code"))
    return render(
        request,
        "measures_clinic/schedule.html",
        {
            "form": form,
            "rules": [(rule, SCALES.get(rule.scale_code)) for rule in rules],
            "defaults": scheduling.DEFAULT_RULES,
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_view(Perm.SCHEDULE_MANAGE)
@require_POST
def rule_toggle(request: ClinicRequest, rule_id: int) -> HttpResponse:
    rule = ScheduleRule.objects.filter(clinic=request.clinic, pk=rule_id).first()
    if rule is None:
        raise Http404("No such rule in this clinic.")
    active = not rule.is_active
    cancelled = scheduling.do_set_rule_active(actor_from_request(request), rule, active)
    if active:
        messages.success(request, "Rule enabled.")
    else:
        messages.success(
            request,
            f"Rule disabled; {cancelled} open due item{'s' if cancelled != 1 else ''} cancelled.",
        )
    return redirect("measures_clinic:schedule")
