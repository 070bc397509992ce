"""The rating scales as FHIR R4 Questionnaires, and the codes and URLs they are known by.

One Questionnaire per scale of `clinical.scales`, built from the library on every request
(there is no table): id = the scale code (`phq9`), canonical `url` =
`http://ketacare.org/fhir/Questionnaire/{code}`, `version` = `Scale.version`.

- `code` is the panel LOINC code and each item's `code` its LOINC item code, where the library
  has one (only codes marked ✅/⚠️ in shared/reference/instruments.md are in the library).
- Answers are `answerOption.valueCoding`: the item's LOINC answer code where one is known,
  else the local system `http://ketacare.org/fhir/CodeSystem/{scale}-answers` whose codes are
  the scored values as strings. Every option carries the numeric value in the `ordinalValue`
  extension, as LHC-Forms and US Core do (instruments.md §0).
- A read-only integer total item (`{scale}-total`, coded with the total LOINC where there is
  one) when the scale has a total made of several items.
- C-SSRS skip logic is `enableWhen`; those items are `required` (required-when-enabled).
- Item text is the library's text: for licensed instruments that is a neutral content label,
  and the licence note goes in `copyright`.
"""

from __future__ import annotations

from typing import Any

from ketacare.clinical.scales import SCALES, Item, Scale

LOINC = "http://loinc.org"
KETACARE_FHIR = "http://ketacare.org/fhir"
QUESTIONNAIRE_BASE = f"{KETACARE_FHIR}/Questionnaire/"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
LOINC_NOTICE = (
    "This material contains content from LOINC® (http://loinc.org). LOINC is copyright © "
    "Regenstrief Institute, Inc. and the LOINC Committee, and is available at no cost under "
    "the license at http://loinc.org/license."
)
# Skip logic of the C-SSRS screener (instruments.md §5; clinical.scales.cssrs):
# Q3-Q5 are asked only when Q2 is Yes, Q6b only when Q6 is Yes. Item -> (item, value).
ENABLE_WHEN: dict[str, tuple[str, int]] = {
    "cssrs_recent-3": ("cssrs_recent-2", 1),
    "cssrs_recent-4": ("cssrs_recent-2", 1),
    "cssrs_recent-5": ("cssrs_recent-2", 1),
    "cssrs_recent-6b": ("cssrs_recent-6", 1),
}


def questionnaire_id(scale: Scale) -> str:
    return scale.code.replace("_", "-")


def scale_for_id(resource_id: str) -> Scale | None:
    """The scale a Questionnaire id (or a scale code) names."""
    for scale in SCALES.values():
        if resource_id in (questionnaire_id(scale), scale.code):
            return scale
    return None


def questionnaire_url(scale: Scale) -> str:
    return f"{QUESTIONNAIRE_BASE}{questionnaire_id(scale)}"


def answers_system(scale: Scale) -> str:
    """The local code system of a scale's answers that have no LOINC code."""
    return f"{KETACARE_FHIR}/CodeSystem/{questionnaire_id(scale)}-answers"


def total_link_id(scale: Scale) -> str:
    return f"{scale.code}-total"


def has_total_item(scale: Scale) -> bool:
    """A total item only makes sense when the total is more than one item's answer."""
    return scale.max_total is not None and len(scale.scored_items) > 1


def scale_for_canonical(canonical: str) -> tuple[Scale | None, str | None]:
    """The scale a `questionnaire` canonical names, and the version it asks for (if any).

    Accepted: our canonical URL, or `Questionnaire/{code}`, each optionally `|version`.
    """
    reference, _, version = canonical.strip().partition("|")
    for prefix in (QUESTIONNAIRE_BASE, "Questionnaire/"):
        if reference.startswith(prefix):
            return scale_for_id(reference.removeprefix(prefix)), version or None
    return None, version or None


def answer_coding(scale: Scale, item: Item, value: int) -> dict[str, Any]:
    """The Coding of one answer: LOINC where the option has a code, else the local system."""
    option = item.option_for(value)
    if option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": option.display}
    return {"system": answers_system(scale), "code": str(value), "display": option.display}


def questionnaire_to_fhir(scale: Scale) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(scale),
        "url": questionnaire_url(scale),
        "version": scale.version,
        "name": _computable_name(scale),
        "title": scale.name,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "KetaCare",
        "description": (
            f"{scale.name}. Scored by the KetaCare server when a QuestionnaireResponse is "
            f"posted. Missing answers: {scale.missing_policy}"
        ),
        "copyright": _copyright(scale),
    }
    if scale.panel_loinc:
        resource["code"] = [{"system": LOINC, "code": scale.panel_loinc}]
    resource["item"] = [_item(scale, item) for item in scale.items]
    if has_total_item(scale):
        resource["item"].append(_total_item(scale))
    return resource


def _computable_name(scale: Scale) -> str:
    # Questionnaire.name must be machine-friendly (inv que-0: [A-Z]([A-Za-z0-9_]){0,254}).
    return "KetaCare" + "".join(part.capitalize() for part in scale.code.split("_"))


def _copyright(scale: Scale) -> str:
    uses_loinc = bool(scale.panel_loinc or scale.total_loinc) or any(
        item.loinc for item in scale.items
    )
    return f"{scale.licence_note} {LOINC_NOTICE}" if uses_loinc else scale.licence_note


def _item(scale: Scale, item: Item) -> dict[str, Any]:
    entry: dict[str, Any] = {"linkId": item.link_id}
    if item.loinc:
        entry["code"] = [{"system": LOINC, "code": item.loinc}]
    entry["prefix"] = str(item.number)
    entry["text"] = item.text
    entry["type"] = "choice"
    condition = ENABLE_WHEN.get(item.link_id)
    if condition is not None:
        question, value = condition
        entry["enableWhen"] = [
            {
                "question": question,
                "operator": "=",
                "answerCoding": answer_coding(scale, scale.item(question), value),
            }
        ]
    entry["required"] = item.required or condition is not None
    entry["answerOption"] = [
        {
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
            "valueCoding": answer_coding(scale, item, option.value),
        }
        for option in item.options
    ]
    return entry


def _total_item(scale: Scale) -> dict[str, Any]:
    entry: dict[str, Any] = {"linkId": total_link_id(scale)}
    if scale.total_loinc:
        entry["code"] = [{"system": LOINC, "code": scale.total_loinc}]
    entry["text"] = f"Total score ({scale.min_total}-{scale.max_total}), computed by the server"
    entry["type"] = "integer"
    entry["required"] = False
    entry["readOnly"] = True
    return entry


def all_questionnaires() -> list[dict[str, Any]]:
    return [questionnaire_to_fhir(scale) for scale in SCALES.values()]


def questionnaire_codes(scale: Scale) -> set[str]:
    """Every code a `code` search may match: the panel, the items and the total."""
    codes = {item.loinc for item in scale.items if item.loinc}
    if scale.panel_loinc:
        codes.add(scale.panel_loinc)
    if scale.total_loinc and has_total_item(scale):
        codes.add(scale.total_loinc)
    return codes
