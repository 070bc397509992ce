"""Incoming QuestionnaireResponses: validate one completely, before the answers are stored.

`check_response` checks the resource on its own (R4B model, status, questionnaire, subject,
authored, every item and answer), turns the items into `{link_id: value}`, then scores those
answers for the patient and compares any total the response carries. Only when all of that
passes does the view call `do_record_assessment`.

A refused response stores nothing but its risk answer: PHQ-9 item 9 or QIDS-SR16 item 12
above 0, or C-SSRS answers already reaching moderate or high, still raise their flag (issue 7:
the flag at once), and the 422 says so in an `information` issue naming `Flag/{id}`
(`response_risk.py`). A response `entered-in-error` raises nothing: its sender withdraws it.

C-SSRS skip logic: an explicit "No" to a question its gate skipped (Q3-Q5 after Q2 No, Q6b
after Q6 No) is dropped, as on the self-report page (`apply_skip_logic`); a "Yes" there
contradicts the gate and is refused, naming the item.

Items are matched by meaning, never by position:
- `linkId` equal to the library's link_id (`phq9-3`, as in our Questionnaires), or
- `linkId` equal to the item's LOINC code, with or without a leading "/" (`/44259-0`, the
  LHC-Forms and US Core convention);
- the total likewise by `{scale}-total` or the total LOINC code.
An answer is a `valueCoding` (a LOINC answer code *of that item*, or our local answer code),
a coding of another system that carries the `ordinalValue` extension (for items that have no
LOINC answer codes), or a `valueInteger` that is one of the item's values.

Every problem found is reported at once, as 422 issues whose `expression` points at the
element (`QuestionnaireResponse.item[3].answer[0]`) and whose `diagnostics` names the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pydantic
from django.utils import timezone
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor
from ketacare.clinical.scales import Item, Scale
from ketacare.fhir.outcome import FhirError, Issue
from ketacare.fhir.questionnaire import (
    LOINC,
    ORDINAL_VALUE,
    answers_system,
    has_total_item,
    questionnaire_url,
    scale_for_canonical,
    total_link_id,
)
from ketacare.fhir.response_risk import (
    do_record_refused_risk,
    earlier_flag,
    refused_risk_decision,
)
from ketacare.measures.actions import score_answers
from ketacare.measures.selfreport_actions import apply_skip_logic
from ketacare.patients.models import Patient

QR = "QuestionnaireResponse"
# The same allowance for clock skew as do_record_assessment.
FUTURE_TOLERANCE = timedelta(minutes=5)
TOTAL = "total"
# The item whose answer raises each kind of flag, to point the information issue at it.
RISK_ITEMS = {"phq9_item9": "phq9-9", "qids_item12": "qids_sr16-12"}
# How much of the refusal the flag's reason repeats.
REASON_REFUSAL_CHARS = 400


@dataclass
class IncomingResponse:
    """A QuestionnaireResponse that passed every check that does not need the patient."""

    scale: Scale
    administered_at: datetime | None
    answers: dict[str, int] = field(default_factory=dict)
    # link_id (or TOTAL) -> index of the response item it came from, for error expressions
    positions: dict[str, int] = field(default_factory=dict)
    posted_total: int | None = None
    status: str = "completed"
    # authored and identifier as sent, for the reason of a flag a refusal raises
    identity: str = ""
    # items whose answer was refused (answered twice, outside the value set…)
    contested: set[str] = field(default_factory=set)
    # a flag a refused send of this response raised, for its assessment to link to
    refused_flag_id: int | None = None


def model_issues(resource_type: str, problem: pydantic.ValidationError) -> list[Issue]:
    """R4B model errors as issues whose expression names the element."""
    issues = []
    for error in problem.errors():
        expression = resource_type + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}"
            for part in error.get("loc", ())
            if part != "resource_type"
        )
        message = " ".join(str(error.get("msg", "is not valid")).split())
        issues.append(Issue("structure", f"{expression}: {message}", expression))
    return issues


def _invalid(expression: str, diagnostics: str, code: str = "invalid") -> Issue:
    return Issue(code, f"{expression}: {diagnostics}", expression)


def _refuse(issues: list[Issue]) -> FhirError:
    return FhirError(422, issues[0].code, "", issues=issues)


def parse_model(body: Any) -> QuestionnaireResponse:
    """400 unless `body` is a QuestionnaireResponse valid against the R4B model."""
    if not isinstance(body, dict):
        raise FhirError(400, "structure", "The body must be a JSON object (a FHIR resource).")
    resource_type = body.get("resourceType")
    if resource_type != QR:
        raise FhirError(
            400,
            "invalid",
            f"resourceType must be '{QR}'"
            + (f", not {str(resource_type)[:40]!r}." if resource_type else "."),
            f"{QR}.resourceType",
        )
    try:
        return QuestionnaireResponse.model_validate(body)
    except pydantic.ValidationError as problem:
        raise FhirError(400, "structure", "", issues=model_issues(QR, problem)) from problem


def subject_patient_id(resource: QuestionnaireResponse, patient_base: str) -> str:
    """The patient id of `subject` (`Patient/{id}` or our absolute Patient URL), else 422."""
    reference = (resource.subject.reference or "") if resource.subject else ""
    for prefix in ("Patient/", patient_base):
        rest = reference.removeprefix(prefix)
        if rest != reference and rest and "/" not in rest:
            return rest
    raise _refuse(
        [
            _invalid(
                f"{QR}.subject",
                "subject must reference the patient as 'Patient/{id}'.",
                "required" if not reference else "invalid",
            )
        ]
    )


def response_scale(resource: QuestionnaireResponse) -> Scale:
    """The scale the response answers; 422 when `questionnaire` names none of ours."""
    scale, issues = _scale(resource)
    if scale is None:
        raise _refuse(issues)
    return scale


def check_response(
    resource: QuestionnaireResponse, patient: Patient, actor: Actor
) -> IncomingResponse:
    """The response, read and scored for `patient`; else 422 with every issue found, after
    recording any risk answer among the answers that could be read."""
    incoming, issues = _read(resource)
    if not issues:
        issues = _score_issues(incoming, patient)
    if issues:
        raise _refuse([*issues, *_risk_recorded(actor, patient, incoming, issues)])
    decision = refused_risk_decision(patient, incoming.scale.code, incoming.answers)
    if decision is not None:
        found = earlier_flag(patient, decision, incoming.identity)
        incoming.refused_flag_id = found.pk if found is not None else None
    return incoming


def _read(resource: QuestionnaireResponse) -> tuple[IncomingResponse, list[Issue]]:
    """Everything that does not depend on the patient; 422 at once when the scale is unknown."""
    scale, issues = _scale(resource)
    if resource.status != "completed":
        issues.append(
            _invalid(
                f"{QR}.status",
                f"only 'completed' responses are accepted, not {resource.status!r}.",
                "business-rule",
            )
        )
    when, problem = _authored(resource)
    if problem:
        issues.append(problem)
    if scale is None:
        raise _refuse(issues)
    incoming = IncomingResponse(
        scale=scale,
        administered_at=when,
        status=str(resource.status),
        identity=_identity(resource),
    )
    for index, item in enumerate(resource.item or []):
        found = _read_item(incoming, index, item)
        if found:
            incoming.contested.add(_key(scale, str(item.linkId)))
        issues.extend(found)
    # Unasked C-SSRS questions answered "No" carry nothing: dropped, as on the self-report
    # page. A "Yes" stays, for the scorer to refuse naming the item.
    asked = apply_skip_logic(incoming.answers)
    for link_id in incoming.answers.keys() - asked.keys():
        if incoming.answers[link_id] == 0:
            del incoming.answers[link_id]
    return incoming, issues


def _identity(resource: QuestionnaireResponse) -> str:
    parts = []
    authored: Any = resource.authored
    if authored is not None:
        text = authored.isoformat() if hasattr(authored, "isoformat") else str(authored)
        parts.append(f"authored {text[:40]}")
    identifier = resource.identifier
    if identifier is not None and identifier.value:
        system = f"{str(identifier.system)[:100]}|" if identifier.system else ""
        parts.append(f"identifier {system}{str(identifier.value)[:100]}")
    return ", ".join(parts)


def _scale(resource: QuestionnaireResponse) -> tuple[Scale | None, list[Issue]]:
    canonical = str(resource.questionnaire or "")
    where = f"{QR}.questionnaire"
    if not canonical:
        return None, [_invalid(where, "name the Questionnaire that was answered.", "required")]
    scale, version = scale_for_canonical(canonical)
    if scale is None:
        return None, [
            _invalid(
                where,
                f"{canonical[:120]!r} is not one of our Questionnaires; use "
                "http://ketacare.org/fhir/Questionnaire/{id} (see GET /fhir/Questionnaire).",
                "not-found",
            )
        ]
    if version is not None and version != scale.version:
        return None, [
            _invalid(
                where,
                f"version {version!r} of {scale.code} is not served; the current version is "
                f"{scale.version!r}.",
                "not-supported",
            )
        ]
    return scale, []


def _authored(resource: QuestionnaireResponse) -> tuple[datetime | None, Issue | None]:
    authored: Any = resource.authored
    where = f"{QR}.authored"
    if authored is None:
        return None, None
    if not isinstance(authored, datetime) or authored.tzinfo is None:
        # A date or partial date cannot say when the scale was answered.
        return None, _invalid(where, "give the full date and time, with a time zone.")
    try:
        # 0001-01-01T00:00:00+14:00 is before year 1 in UTC: comparing or storing it raises
        # OverflowError (a 500).
        authored.astimezone(UTC)
    except OverflowError:
        return None, _invalid(where, "the date and time is outside the calendar.")
    if authored > timezone.now() + FUTURE_TOLERANCE:
        return None, _invalid(where, "a response cannot be authored in the future.")
    return authored, None


def _match(scale: Scale, link_id: str) -> Item | str | None:
    """The item a response linkId refers to, TOTAL for the total item, or None."""
    for item in scale.items:
        if link_id == item.link_id:
            return item
    code = link_id.removeprefix("/")
    for item in scale.items:
        if item.loinc and code == item.loinc:
            return item
    if has_total_item(scale) and (
        link_id == total_link_id(scale) or (scale.total_loinc and code == scale.total_loinc)
    ):
        return TOTAL
    return None


def _key(scale: Scale, link_id: str) -> str:
    target = _match(scale, link_id)
    if target is None:
        return link_id
    return target if isinstance(target, str) else target.link_id


def _read_item(
    incoming: IncomingResponse, index: int, item: QuestionnaireResponseItem
) -> list[Issue]:
    scale = incoming.scale
    where = f"{QR}.item[{index}]"
    link_id = str(item.linkId)
    target = _match(scale, link_id)
    if target is None:
        return [
            _invalid(
                f"{where}.linkId",
                f"linkId {link_id[:80]!r} is neither an item nor a LOINC item code of "
                f"{questionnaire_url(scale)}.",
                "not-found",
            )
        ]
    key = target if isinstance(target, str) else target.link_id
    label = _label(target, link_id)
    if key in incoming.positions:
        return [_invalid(where, f"{label} is answered twice.", "duplicate")]
    incoming.positions[key] = index
    if item.item:
        return [_invalid(f"{where}.item", f"{label}: nested items are not part of this form.")]
    answers = list(item.answer or [])
    if not answers:
        return []  # present but unanswered: the scorer decides whether that is allowed
    if len(answers) > 1:
        return [_invalid(f"{where}.answer", f"{label} takes one answer, not {len(answers)}.")]
    answer = answers[0]
    here = f"{where}.answer[0]"
    if answer.item:
        return [_invalid(f"{here}.item", f"{label}: nested items are not part of this form.")]
    if isinstance(target, str):
        total, problem = _total_value(answer, here, label)
        if problem:
            return [problem]
        incoming.posted_total = total
        return []
    value, problem = _answer_value(scale, target, answer, here, label)
    if problem:
        return [problem]
    assert value is not None  # for mypy: _answer_value returns one or the other
    incoming.answers[target.link_id] = value
    return []


def _label(target: Item | str, link_id: str) -> str:
    if isinstance(target, str):
        return f"the total (linkId {link_id!r})"
    code = f", LOINC {target.loinc}" if target.loinc else ""
    return f"item {target.link_id} (linkId {link_id!r}{code})"


def _total_value(
    answer: QuestionnaireResponseItemAnswer, here: str, label: str
) -> tuple[int | None, Issue | None]:
    raw: Any = answer.valueInteger if answer.valueInteger is not None else answer.valueDecimal
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool) and raw == int(raw):
        return int(raw), None
    return None, _invalid(here, f"{label} must be a whole number (valueInteger).")


def _answer_value(
    scale: Scale, item: Item, answer: QuestionnaireResponseItemAnswer, here: str, label: str
) -> tuple[int | None, Issue | None]:
    if answer.valueInteger is not None:
        value = int(answer.valueInteger)
        if value in item.values:
            return value, None
        allowed = ", ".join(str(v) for v in item.values)
        return None, _invalid(
            f"{here}.valueInteger",
            f"{label}: {value} is not one of its answers ({allowed}).",
            "code-invalid",
        )
    coding = answer.valueCoding
    if coding is None:
        return None, _invalid(
            here, f"{label} must be answered with valueCoding or valueInteger.", "invalid"
        )
    coded = _coded_value(scale, item, str(coding.system or ""), str(coding.code or ""))
    ordinal = _ordinal(coding)
    if coded is None and ordinal is not None and not any(o.loinc for o in item.options):
        coded = ordinal if ordinal in item.values else None
    if coded is None:
        return None, _invalid(
            f"{here}.valueCoding",
            f"{label}: {coding.system or '(no system)'}|{coding.code} is not in its value set "
            f"({_value_set(scale, item)}).",
            "code-invalid",
        )
    if ordinal is not None and ordinal != coded:
        return None, _invalid(
            f"{here}.valueCoding",
            f"{label}: ordinalValue {ordinal} contradicts the code {coding.code} (worth {coded}).",
            "business-rule",
        )
    return coded, None


def _coded_value(scale: Scale, item: Item, system: str, code: str) -> int | None:
    if system in ("", LOINC):
        for option in item.options:
            if code and (code == option.loinc or code in option.alt_loinc):
                return option.value
    if system == answers_system(scale):
        for option in item.options:
            if code == str(option.value):
                return option.value
    return None


def _ordinal(coding: Any) -> int | None:
    for extension in coding.extension or []:
        if extension.url == ORDINAL_VALUE:
            raw = extension.valueDecimal
            if raw is None:
                raw = extension.valueInteger
            if raw is not None and raw == int(raw):
                return int(raw)
    return None


def _value_set(scale: Scale, item: Item) -> str:
    codes = [option.loinc for option in item.options if option.loinc]
    if codes:
        return "LOINC " + ", ".join(codes)
    values = ", ".join(str(option.value) for option in item.options)
    return f"{answers_system(scale)} codes {values}"


def _score_issues(incoming: IncomingResponse, patient: Patient) -> list[Issue]:
    """Score the answers for `patient`: the issues when the scorer refuses them, an item is
    missing or the total the response carries is not the server's."""
    scale = incoming.scale
    try:
        result = score_answers(patient, scale.code, dict(incoming.answers))
    except ActionError as problem:
        return [_scorer_issue(incoming, problem.field, problem.message)]
    if not result.complete:
        return [_missing(scale.item(link_id)) for link_id in result.missing_items]
    if incoming.posted_total is not None and incoming.posted_total != result.total:
        where = f"{QR}.item[{incoming.positions[TOTAL]}]"
        return [
            _invalid(
                f"{where}.answer[0]",
                f"the total disagrees with the answers: the response says "
                f"{incoming.posted_total}, the answers score {result.total}. The answers "
                "were not stored.",
                "business-rule",
            )
        ]
    return []


def _risk_recorded(
    actor: Actor, patient: Patient, incoming: IncomingResponse, issues: list[Issue]
) -> list[Issue]:
    """Record a risk answer of a refused response (its flag): the information issue saying
    so, else nothing. Answers whose item was itself refused do not count."""
    if incoming.status == "entered-in-error":
        return []
    readable = {k: v for k, v in incoming.answers.items() if k not in incoming.contested}
    decision = refused_risk_decision(patient, incoming.scale.code, readable)
    if decision is None:
        return []
    refusal = " ".join(issue.diagnostics for issue in issues)
    if len(refusal) > REASON_REFUSAL_CHARS:
        refusal = refusal[: REASON_REFUSAL_CHARS - 1] + "…"
    recorded = do_record_refused_risk(
        actor,
        patient,
        decision,
        scale_code=incoming.scale.code,
        identity=incoming.identity,
        refusal=refusal,
    )
    flag = recorded.flag
    level = f"{flag.level} risk: {decision.reason}"
    what = (
        f"Flag/flag-{flag.pk} was raised ({level})"
        if recorded.raised
        else f"Flag/flag-{flag.pk}, raised when this response was sent before, stands ({level}); "
        "no second flag was raised"
    )
    index = incoming.positions.get(RISK_ITEMS.get(decision.source, ""))
    return [
        Issue(
            "informational",
            f"The risk answer was recorded although the response was not: {what}. The flag "
            "stays active until a clinician acts on it. Nothing else was stored; correct the "
            "problems above and send the response again to have it scored.",
            f"{QR}.item[{index}]" if index is not None else QR,
            severity="information",
        )
    ]


def _missing(item: Item) -> Issue:
    code = f" (LOINC {item.loinc})" if item.loinc else ""
    return _invalid(
        f"{QR}.item",
        f"required item {item.link_id}{code} is not answered; the response cannot be scored.",
        "required",
    )


def _scorer_issue(incoming: IncomingResponse, field_name: str, message: str) -> Issue:
    index = incoming.positions.get(field_name)
    where = f"{QR}.item[{index}]" if index is not None else QR
    return _invalid(where, message if field_name in message else f"{field_name}: {message}")
