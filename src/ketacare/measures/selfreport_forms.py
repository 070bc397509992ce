"""Forms for self-report: one questionnaire page for the patient, and the staff "send" form.

`AnswersForm` only checks that each posted answer is one of the item's options; which items
are still missing is decided by the scale library when the patient presses Next, so the
rules live in one place (`clinical.scales`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from ketacare.clinical import scales
from ketacare.measures.models import Context
from ketacare.measures.selfreport_actions import ASKED_ONLY_WHEN, LinkChannel, self_report_scales
from ketacare.patients.models import Patient

# What each questionnaire asks about, shown above its items. Recall periods from
# shared/reference/instruments.md (§1 PHQ-9 and §2 PHQ-2: last 2 weeks; §3 GAD-7: last 2 weeks;
# §4 PCL-5: past month; §7 QIDS-SR16: last 7 days; §5 C-SSRS: past month, Q6 lifetime).
STEMS = {
    "phq9": "Over the last 2 weeks, how often have you been bothered by any of the following "
    "problems?",
    "phq2": "Over the last 2 weeks, how often have you been bothered by any of the following "
    "problems?",
    "gad7": "Over the last 2 weeks, how often have you been bothered by the following problems?",
    "pcl5": "In the past month, how much were you bothered by:",
    "qids_sr16": "Please choose the answer that best describes you over the last 7 days.",
    "cssrs_recent": "Please answer Yes or No. Questions 1 to 5 are about the past month.",
    "auditc": "These questions are about drinks containing alcohol.",
    "isi": "Please rate your sleep over the last 2 weeks.",
    "pain_nrs": "Please rate your pain.",
    "bpi_sf": "Please rate your pain over the last 24 hours.",
}
DEFAULT_STEM = "Please choose the answer that fits best."


class AnswersForm(forms.Form):
    """One questionnaire's answers as posted. Fields are named by item link_id."""

    def __init__(self, scale: scales.Scale, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scale
        for item in scale.items:
            self.fields[item.link_id] = forms.TypedChoiceField(
                label=item.text,
                choices=[(str(o.value), o.display) for o in item.options],
                coerce=int,
                required=False,
                empty_value=None,
                error_messages={"invalid_choice": "Choose one of the answers shown."},
            )

    def posted_answers(self) -> dict[str, int | None]:
        """The answers that passed validation, for the items that were posted."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned.get(name)
            for name in self.fields
            if name in self.data and name in cleaned and name not in self.errors
        }


@dataclass(frozen=True)
class Row:
    """One question as the page shows it."""

    item: scales.Item
    selected: int | None
    errors: list[str]
    asked_when: tuple[str, int] | None
    gate_number: str


def rows_for(
    scale: scales.Scale,
    saved: dict[str, int],
    form: AnswersForm | None = None,
    extra_errors: dict[str, str] | None = None,
) -> list[Row]:
    """Questions with the answer to show selected: what was just posted, else the draft."""
    extra_errors = extra_errors or {}
    posted: dict[str, int | None] = form.posted_answers() if form is not None else {}
    rows = []
    numbers = {item.link_id: str(item.number) for item in scale.items}
    for item in scale.items:
        selected = posted.get(item.link_id, saved.get(item.link_id))
        errors = [str(e) for e in form.errors.get(item.link_id, [])] if form is not None else []
        if item.link_id in extra_errors:
            errors.append(extra_errors[item.link_id])
        gate = ASKED_ONLY_WHEN.get(item.link_id)
        rows.append(
            Row(
                item=item,
                selected=selected,
                errors=errors,
                asked_when=gate,
                gate_number=numbers.get(gate[0], "") if gate else "",
            )
        )
    return rows


class SendLinkForm(forms.Form):
    """Staff: which questionnaires, in what context, and how to reach the patient."""

    scales = forms.MultipleChoiceField(
        label="Questionnaires",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one questionnaire."},
    )
    context = forms.ChoiceField(label="Context", choices=Context.choices, initial="follow_up")
    channel = forms.ChoiceField(label="Send by", choices=LinkChannel.CHOICES)

    def __init__(self, *args: Any, patient: Patient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        scale_field = self.fields["scales"]
        assert isinstance(scale_field, forms.MultipleChoiceField)
        scale_field.choices = [(s.code, s.name) for s in self_report_scales()]
        if patient is not None and not self.is_bound:
            preferred = {"sms": LinkChannel.SMS, "email": LinkChannel.EMAIL}
            self.fields["channel"].initial = preferred.get(
                patient.preferred_contact,
                LinkChannel.EMAIL if patient.email else LinkChannel.SMS,
            )


# A submission the scoring refuses for a reason only the chart can fix (AUDIT-C needs sex at
# birth recorded): the patient cannot act on the staff wording, so they read this instead.
CHART_PROBLEM = (
    "Your answers are saved, but this questionnaire cannot be sent until your care team "
    "updates your record. Please let them know; you can come back to this page afterwards."
)


def patient_problem(field: str, message: str) -> str:
    """What a patient reads for a refused submission (`ActionError` field and message)."""
    return CHART_PROBLEM if field == "scale" else message
