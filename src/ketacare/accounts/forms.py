"""Forms for sign-in, two-factor codes, staff management, tokens and audit filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from ketacare.accounts.models import Role


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": "Email or password is not right. Accounts lock after repeated failures.",
        "inactive": "This account is disabled; ask your clinic admin.",
    }


class OtpForm(forms.Form):
    code = forms.RegexField(
        label="6-digit code",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class StaffForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(
        max_length=200, required=False, help_text="Needed for a new person."
    )
    credentials = forms.CharField(max_length=60, required=False, help_text="e.g. MD, RN, NP")
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="Initial password for a new person (at least 10 characters, not a common one).",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. 'monitor gateway'."
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=100, help_text="e.g. patients.chart")
    actor = forms.CharField(required=False, max_length=254, label="User email")
    mrn = forms.CharField(required=False, max_length=20, label="Patient MRN")
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("success", "Success"), ("denied", "Denied"), ("failure", "Failure")],
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "‘Until’ must be on or after ‘since’.")
        return data
