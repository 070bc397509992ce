"""Forms: the public consultation request, the staff contact-attempt and status forms, and the
registration form of "Convert to patient".

Every text field has a maximum length (the same as its column), so an oversize value is a
clear error naming the field, never a database error. Names and messages are not policed for
"HTML": they are stored as typed and always rendered escaped.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.intake.models import (
    MESSAGE_MAX,
    ConsultationRequest,
    ContactChannel,
    ContactOutcome,
    HelpWith,
    PreferredTime,
)
from ketacare.intake.spam import HONEYPOT_FIELD
from ketacare.intake.wording import contact_consent_text, newsletter_consent_text
from ketacare.patients.forms import PatientForm, clean_phone
from ketacare.patients.models import ContactMethod

CONSENT_MISSING = (
    "Please tick this box so we may contact you; without it we cannot reply to your request."
)


def _required_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise forms.ValidationError("This field is required.")
    return value


class ConsultationForm(forms.Form):
    given_name = forms.CharField(
        label="First name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label="Last name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Needed if you prefer email or want the newsletter. We send a short "
        "confirmation here.",
    )
    phone = forms.CharField(
        label="Phone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="Needed if you prefer a call or a text message.",
    )
    preferred_contact = forms.ChoiceField(
        label="How should we contact you?",
        choices=ContactMethod.choices,
        initial=ContactMethod.PHONE,
        widget=forms.RadioSelect,
    )
    preferred_time = forms.ChoiceField(
        label="Best time to reach you",
        choices=PreferredTime.choices,
        initial=PreferredTime.ANY,
        widget=forms.RadioSelect,
    )
    help_with = forms.MultipleChoiceField(
        label="What would you like help with?",
        choices=HelpWith.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose all that apply.",
        error_messages={"required": "Please choose at least one, or “Something else”."},
    )
    other_text = forms.CharField(
        label="Something else — tell us briefly", max_length=200, required=False
    )
    referring_clinician = forms.CharField(
        label="Referring clinician (optional)",
        max_length=200,
        required=False,
        help_text="If a doctor or therapist referred you, their name and practice.",
    )
    message = forms.CharField(
        label="Anything else you would like us to know (optional)",
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MESSAGE_MAX}),
        help_text=f"Up to {MESSAGE_MAX} characters. Keep it short: we will go through your "
        "history with you when we talk.",
    )
    # Short labels (they name the field in the error summary); the consent wording itself is
    # `consent_text` / `newsletter_text`, shown next to the boxes.
    consent_to_contact = forms.BooleanField(
        label="Consent to be contacted", required=True, error_messages={"required": CONSENT_MISSING}
    )
    newsletter = forms.BooleanField(label="Newsletter", required=False)
    # The honeypot: hidden from people by the `hp` class; robots fill it.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.consent_text = contact_consent_text(clinic.name)
        self.newsletter_text = newsletter_consent_text(clinic.name)
        assert HONEYPOT_FIELD in self.fields

    def clean_given_name(self) -> str:
        return _required_text(self.cleaned_data["given_name"])

    def clean_family_name(self) -> str:
        return _required_text(self.cleaned_data["family_name"])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_other_text(self) -> str:
        return self.cleaned_data["other_text"].strip()

    def clean_referring_clinician(self) -> str:
        return self.cleaned_data["referring_clinician"].strip()

    def clean_message(self) -> str:
        return self.cleaned_data["message"].strip()

    @property
    def is_spam(self) -> bool:
        """The honeypot was filled: a robot. Checked before anything else."""
        return bool(str(self.data.get(HONEYPOT_FIELD, "")).strip())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        method = data.get("preferred_contact")
        if method == ContactMethod.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Please give an email address, since you chose email.")
        if (
            method in {ContactMethod.PHONE, ContactMethod.SMS}
            and not data.get("phone")
            and "phone" not in self.errors
        ):
            self.add_error(
                "phone", "Please give a phone number, since you chose a call or text message."
            )
        if data.get("newsletter") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Please give an email address to receive the newsletter.")
        if (
            HelpWith.OTHER in (data.get("help_with") or [])
            and not data.get("other_text")
            and "other_text" not in self.errors
        ):
            self.add_error("other_text", "Please tell us briefly what you would like help with.")
        return data


class ContactAttemptForm(forms.Form):
    at = forms.DateTimeField(
        label="When",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty if it was just now.",
    )
    channel = forms.ChoiceField(label="How", choices=ContactChannel.choices)
    outcome = forms.ChoiceField(label="Outcome", choices=ContactOutcome.choices)
    note = forms.CharField(
        label="Note", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, consultation: ConsultationRequest | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.consultation = consultation

    def clean_at(self) -> Any:
        when = self.cleaned_data.get("at") or timezone.now()
        if when > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError("A contact attempt cannot be in the future.")
        if self.consultation is not None:
            # By the clinic's calendar day (the current zone on staff pages), as "before the
            # patient's date of birth" is judged on the chart: a call typed a few minutes
            # early on the day the request came in is a rounded time, not a slip of the year.
            arrived = timezone.localtime(self.consultation.submitted_at)
            if timezone.localtime(when).date() < arrived.date():
                raise forms.ValidationError(
                    "A contact attempt cannot be before the request arrived "
                    f"({arrived:%d %b %Y}); check the date."
                )
        return when


class StatusForm(forms.Form):
    status = forms.CharField(max_length=20)
    reason = forms.CharField(
        label="Reason", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConvertForm(PatientForm):
    """The patient registration form, on "Convert to patient": the same checks, and for a
    patient of the clinic with the same legal name and date of birth the page offers to link
    the request to them (a button beside the question) instead of opening their chart."""

    twin_instead = "Link this request to them instead"
