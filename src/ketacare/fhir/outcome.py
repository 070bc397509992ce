"""OperationOutcome, FHIR's error body, and the one helper that writes FHIR JSON responses.

Anything in a FHIR request may raise `FhirError`; the endpoint wrapper (`fhir/http.py`) turns
it into an OperationOutcome with the right status. Issue codes come from the R4 IssueType
value set (http://hl7.org/fhir/R4/valueset-issue-type.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json; charset=utf-8"


@dataclass(frozen=True)
class Issue:
    code: str
    diagnostics: str
    expression: str = ""
    severity: str = "error"

    def as_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {"severity": self.severity, "code": self.code}
        if self.diagnostics:
            issue["diagnostics"] = self.diagnostics
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


def operation_outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_fhir() for i in issues]}


class FhirError(Exception):
    """Stop the request and answer `status` with an OperationOutcome of `issues`."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        expression: str = "",
        *,
        issues: Sequence[Issue] = (),
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(diagnostics)
        self.status = status
        self.issues = list(issues) or [Issue(code, diagnostics, expression)]
        self.headers = dict(headers or {})


def fhir_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=FHIR_JSON,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(operation_outcome(error.issues), error.status, error.headers)
