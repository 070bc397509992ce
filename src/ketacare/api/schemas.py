"""Typed request and response bodies for the JSON API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    error: str
    errors: list[dict[str, str]] = []


class MeOut(Schema):
    email: str
    full_name: str
    clinic: str
    clinic_id: int
    role: str
    permissions: list[str]


class PatientIn(Schema):
    legal_given_name: str
    legal_family_name: str
    preferred_name: str = ""
    pronouns: str = ""
    birth_date: date
    sex_at_birth: str
    gender_identity: str = ""
    phone: str = ""
    email: str = ""
    preferred_contact: str = "phone"
    address_line: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""
    # Needed when a patient of the clinic has the same legal name and date of birth (a 409).
    confirm_duplicate: bool = False


class PatientPatch(Schema):
    legal_given_name: str | None = None
    legal_family_name: str | None = None
    preferred_name: str | None = None
    pronouns: str | None = None
    birth_date: date | None = None
    sex_at_birth: str | None = None
    gender_identity: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred_contact: str | None = None
    address_line: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None


class PatientSummaryOut(Schema):
    id: UUID
    mrn: str
    legal_given_name: str
    legal_family_name: str
    preferred_name: str
    birth_date: date
    sex_at_birth: str


class DiagnosisIn(Schema):
    icd10_code: str
    status: str = "active"
    is_primary: bool = False
    treatment_resistant: bool = False
    onset_date: date | None = None
    note: str = ""


class DiagnosisOut(Schema):
    id: int
    icd10_code: str
    display: str
    status: str
    is_primary: bool
    treatment_resistant: bool
    onset_date: date | None
    recorded_at: datetime


class AllergyIn(Schema):
    substance: str
    category: str = "medication"
    reaction: str = ""
    severity: str = "unknown"


class AllergyOut(Schema):
    id: int
    substance: str
    category: str
    reaction: str
    severity: str
    is_active: bool


class MeasurementIn(Schema):
    weight_kg: Decimal
    height_cm: Decimal | None = None
    measured_at: datetime | None = None
    note: str = ""
    # Needed when the weight is more than 10 % from the patient's last one (a 422 says so).
    confirm_weight: bool = False


class MeasurementOut(Schema):
    id: int
    measured_at: datetime
    weight_kg: Decimal
    height_cm: Decimal | None
    bmi: Decimal | None = None


class PatientOut(PatientSummaryOut):
    pronouns: str
    gender_identity: str
    phone: str
    email: str
    preferred_contact: str
    address_line: str
    city: str
    region: str
    postal_code: str
    country: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    no_known_allergies: bool
    diagnoses: list[DiagnosisOut] = []
    allergies: list[AllergyOut] = []
    measurements: list[MeasurementOut] = []


class PatientSearchIn(Schema):
    q: str = Field("", max_length=100, description="Name, MRN, or a date of birth")
    birth_date: date | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(25, ge=1, le=100)


class PatientPageOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[PatientSummaryOut]


class TokenIn(Schema):
    name: str = Field(..., max_length=100)


class TokenOut(Schema):
    prefix: str
    name: str
    user: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The secret. Shown once; store it safely.")


class AuditOut(Schema):
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    patient_id: str
    client_ip: str
    outcome: str
    detail: dict[str, object]


class AuditPageOut(Schema):
    count: int
    page: int
    results: list[AuditOut]
