"""Validation for administering a scale, opening and closing episodes, and corrections.

Answers are not a Django form field each: they are checked item by item by the scale library
(`Scale.validate`), so the message naming a bad value is the library's, and nothing about a
scale's answers is restated here. The rest (context, episode, time, source) is a plain form.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from ketacare.clinical.scales import SCALES, Item, Scale, ScaleInputError
from ketacare.measures.models import Context, EpisodeOfCare, EpisodeStatus, Source
from ketacare.patients.models import Patient

# Conditional questions, for showing and hiding them in the browser. The rule itself is the
# library's (clinical/scales/cssrs.py: Q3-Q5 are asked only when Q2 is Yes, Q6b only when Q6
# is Yes) and it refuses an answer to a question that was not asked; a test keeps this table
# in step with it.
ASKED_IF: dict[str, tuple[str, int]] = {
    "cssrs_recent-3": ("cssrs_recent-2", 1),
    "cssrs_recent-4": ("cssrs_recent-2", 1),
    "cssrs_recent-5": ("cssrs_recent-2", 1),
    "cssrs_recent-6b": ("cssrs_recent-6", 1),
}

# Scales a course of treatment can be judged on: a symptom total where lower is better.
# (Not screeners (PHQ-2, AUDIT-C), not session measures (CADSS, MOAA/S), not the C-SSRS.)
PRIMARY_SCALES = ("phq9", "madrs", "qids_sr16", "gad7", "pcl5", "isi", "pain_nrs")

# How far ahead of the server clock a time may be (a tablet's clock runs a little fast);
# the action refuses anything beyond the same margin.
CLOCK_SKEW = timedelta(minutes=5)


def short_name(scale: Scale) -> str:
    """ "PHQ-9" from "PHQ-9 (Patient Health Questionnaire, 9 items)"."""
    return scale.name.split(" (")[0]


def item_label(item: Item) -> str:
    return f"Item {item.number}"


def _message(problem: ScaleInputError) -> str:
    text = str(problem)
    prefix = f"{problem.field}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def parse_answers(scale: Scale, data: Any) -> tuple[dict[str, int | None], dict[str, str]]:
    """Read `scale`'s answers from submitted form data: ({link_id: value or None}, errors).

    Every item is checked on its own, so all bad items are named at once, each error saying
    which item and why (in the library's words). Blank means unanswered.
    """
    answers: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for item in scale.items:
        raw = str(data.get(item.link_id, "")).strip()
        if not raw:
            answers[item.link_id] = None
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[item.link_id] = f"{item_label(item)}: “{raw[:20]}” is not one of the answers."
            continue
        try:
            scale.validate({item.link_id: value})
        except ScaleInputError as problem:
            errors[item.link_id] = f"{item_label(item)}: {_message(problem)}."
            continue
        answers[item.link_id] = value
    return answers, errors


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"


class AdministerForm(forms.Form):
    """Everything about an administration except the answers."""

    context = forms.ChoiceField(choices=Context.choices, label="Timing")
    source = forms.ChoiceField(label="Who answered", widget=forms.RadioSelect)
    episode = forms.ModelChoiceField(
        queryset=EpisodeOfCare.objects.none(),
        required=False,
        label="Episode of care",
        empty_label=None,
    )
    administered_at = forms.DateTimeField(
        label="Given at",
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    allow_incomplete = forms.BooleanField(required=False)

    def __init__(self, *args: Any, patient: Patient, scale: Scale, who: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scale
        episodes = EpisodeOfCare.objects.filter(patient=patient)
        self.fields["episode"].queryset = episodes  # type: ignore[attr-defined]  # ModelChoiceField
        self.fields["episode"].label_from_instance = _episode_label  # type: ignore[attr-defined]
        sources = [(Source.STAFF.value, f"Given by me ({who})")]
        if not scale.clinician_rated:
            sources.append((Source.SELF_REPORT.value, "Patient self-report"))
        self.fields["source"].choices = sources  # type: ignore[attr-defined]  # ChoiceField

    def clean_administered_at(self) -> datetime:
        when: datetime = self.cleaned_data["administered_at"]
        if when > timezone.now() + CLOCK_SKEW:
            raise forms.ValidationError("An assessment cannot be dated in the future.")
        return when


def _episode_label(episode: EpisodeOfCare) -> str:
    state = "" if episode.status == EpisodeStatus.ACTIVE else " (closed)"
    return f"{episode.title} — from {episode.started_on:%Y-%m-%d}{state}"


def default_context(has_baseline: bool) -> str:
    """A first score in an episode is its baseline; later ones default to 'unscheduled'."""
    return Context.UNSCHEDULED if has_baseline else Context.INTAKE_BASELINE


class EpisodeForm(forms.ModelForm):
    primary_scale = forms.ChoiceField(
        choices=[(code, SCALES[code].name) for code in PRIMARY_SCALES],
        help_text="The course is judged on this scale, against the episode's baseline. "
        "Response and remission are defined on PHQ-9, MADRS and QIDS-SR16 only; on the others "
        "the change from baseline is shown.",
    )

    class Meta:
        model = EpisodeOfCare
        fields = ["title", "diagnosis", "primary_scale", "started_on"]
        widgets = {"started_on": DateInput()}
        labels = {"started_on": "Start date"}

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        diagnosis = self.fields["diagnosis"]
        diagnosis.queryset = patient.diagnoses.all()  # type: ignore[attr-defined]
        diagnosis.empty_label = "— none —"  # type: ignore[attr-defined]
        diagnosis.help_text = "From this patient's diagnoses."
        self.fields["started_on"].initial = timezone.localdate

    def clean_title(self) -> str:
        title = str(self.cleaned_data["title"]).strip()
        if not title:
            raise forms.ValidationError("Give the episode a title, e.g. 'IV ketamine for TRD'.")
        return title

    def clean_started_on(self) -> date:
        started: date = self.cleaned_data["started_on"]
        if started > timezone.localdate():
            raise forms.ValidationError("The start date cannot be in the future.")
        return started


class CloseEpisodeForm(forms.Form):
    ended_on = forms.DateField(label="End date", widget=DateInput())

    def __init__(self, *args: Any, episode: EpisodeOfCare, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode = episode
        self.fields["ended_on"].initial = timezone.localdate

    def clean_ended_on(self) -> date:
        ended: date = self.cleaned_data["ended_on"]
        if ended > timezone.localdate():
            raise forms.ValidationError("The end date cannot be in the future.")
        if ended < self.episode.started_on:
            raise forms.ValidationError(
                f"The end date is before the start ({self.episode.started_on:%Y-%m-%d})."
            )
        return ended


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Why is this assessment wrong?",
        widget=forms.TextInput(attrs={"placeholder": "e.g. entered on the wrong patient"}),
    )
