"""The clinic's response and remission rules (/measures/response-rules/).

Admins and prescribers (Perm.SCHEDULE_MANAGE) see each configurable threshold with the
library default and its source, and change them with a reason; the page lists the last
changes from the audit log. Always the signed-in clinic's own rules: there is no clinic id in
the URL to tamper with.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry, actor_from_request, audit
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.measures.response_settings import Setting, do_set_response_rules, settings_for

HISTORY = 10


def field_name(key: str) -> str:
    return key.replace(".", "__")


class ResponseRulesForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the change",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the change, e.g. “MADRS ≤ 12 as in our esketamine programme”.",
    )

    def __init__(self, *args: Any, settings: list[Setting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        fields: dict[str, forms.Field] = {}
        for s in settings:
            fields[field_name(s.key)] = forms.IntegerField(
                label=s.label,
                min_value=s.low,
                max_value=s.high,
                initial=s.current,
                help_text=f"Default {s.default}: {s.source}.",
            )
        fields["reason"] = self.fields["reason"]  # the reason comes last
        self.fields = fields

    def values(self) -> dict[str, int]:
        return {s.key: self.cleaned_data[field_name(s.key)] for s in self.settings}


def _history(clinic: Clinic) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            clinic_id=clinic.pk, action="measures.response_rules.changed"
        ).order_by("-seq")[:HISTORY]
    )


@staff_view(Perm.SCHEDULE_MANAGE)
@require_http_methods(["GET", "POST"])
def response_rules_page(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    current = settings_for(clinic)
    form = ResponseRulesForm(request.POST or None, settings=current)
    if request.method == "POST" and form.is_valid():
        try:
            do_set_response_rules(
                actor_from_request(request), clinic, form.values(), form.cleaned_data["reason"]
            )
        except ActionError as exc:
            name = field_name(exc.field)
            form.add_error(name if name in form.fields else None, exc.message)
        else:
            messages.success(request, "Response and remission rules saved.")
            return redirect("measures_clinic:response_rules")
    if request.method == "GET":
        audit(request, "measures.response_rules.viewed", object_type="clinic", object_id=clinic.pk)
    return render(
        request,
        "measures_clinic/response_rules.html",
        {"form": form, "settings": current, "history": _history(clinic)},
        status=400 if request.method == "POST" else 200,
    )
