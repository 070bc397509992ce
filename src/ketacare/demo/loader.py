"""The demo clinics: two clinics, staff in every role, 40 synthetic patients each.

Everything is clearly fictional (Faker with a fixed seed; phone numbers in the 555-01xx
range reserved for fiction; emails at example.com). Later features extend `load_demo`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.demo.aftercare_demo import load_aftercare
from ketacare.demo.chairs_demo import load_chair_history
from ketacare.demo.evaluations_demo import load_evaluations
from ketacare.demo.measures_demo import load_histories
from ketacare.demo.plans_demo import load_plans
from ketacare.demo.portal_demo import load_portal, portal_logins, remove_portal_demo
from ketacare.demo.safety_demo import load_safety
from ketacare.demo.schedule_demo import load_appointments, setup_clinic
from ketacare.demo.substances_demo import load_substances
from ketacare.intake.demo import load_requests
from ketacare.patients.actions import next_mrn
from ketacare.patients.models import Allergy, BodyMeasurement, Diagnosis, Patient
from ketacare.safety.demo import setup_escalation

DEMO_PASSWORD = "ketacare-demo-2026"  # noqa: S105  (public demo login, printed by make run)
SEED = 20261122
PATIENTS_PER_CLINIC = 40
DEMO = Actor(label="demo-loader")
# A few patients go by a short form of their first name (it was the first three letters).
NICKNAMES = {
    "Alexander": "Alex",
    "Alexandra": "Alex",
    "Anthony": "Tony",
    "Benjamin": "Ben",
    "Christopher": "Chris",
    "Christina": "Chris",
    "Daniel": "Dan",
    "Elizabeth": "Liz",
    "Jennifer": "Jen",
    "Jonathan": "Jon",
    "Joseph": "Joe",
    "Katherine": "Kate",
    "Kimberly": "Kim",
    "Margaret": "Maggie",
    "Matthew": "Matt",
    "Michael": "Mike",
    "Nicholas": "Nick",
    "Patricia": "Pat",
    "Rebecca": "Becca",
    "Richard": "Rick",
    "Robert": "Rob",
    "Samantha": "Sam",
    "Stephanie": "Steph",
    "Thomas": "Tom",
    "Timothy": "Tim",
    "Victoria": "Tori",
    "William": "Will",
    "Zachary": "Zach",
}


@dataclass(frozen=True)
class DemoClinic:
    name: str
    slug: str
    prefix: str
    domain: str
    phone: str


CLINICS = (
    DemoClinic("Riverside Ketamine Clinic", "riverside", "RIV", "riverside.demo", "555-0100"),
    DemoClinic("Lakeside Mood & Pain Center", "lakeside", "LAK", "lakeside.demo", "555-0150"),
)

STAFF_NAMES = {
    Role.ADMIN: ("Morgan Reyes", ""),
    Role.PRESCRIBER: ("Dr. Priya Natarajan", "MD"),
    Role.NURSE: ("Sam Okafor", "RN"),
    Role.THERAPIST: ("Jordan Ellis", "LCSW"),
    Role.INTAKE: ("Casey Lin", ""),
    Role.DIRECTOR: ("Dr. Helen Brandt", "MD"),
}

# (code, display, weight, treatment-resistant share): the case mix of a ketamine clinic.
PRIMARY_DIAGNOSES = (
    ("F33.2", "Major depressive disorder, recurrent severe without psychotic features", 30, 0.8),
    ("F33.1", "Major depressive disorder, recurrent, moderate", 14, 0.6),
    (
        "F32.2",
        "Major depressive disorder, single episode, severe without psychotic features",
        6,
        0.5,
    ),
    ("F43.12", "Post-traumatic stress disorder, chronic", 12, 0.0),
    ("F43.10", "Post-traumatic stress disorder, unspecified", 5, 0.0),
    ("F41.1", "Generalized anxiety disorder", 9, 0.0),
    ("F40.10", "Social phobia, unspecified", 5, 0.0),
    ("M79.7", "Fibromyalgia", 8, 0.0),
    ("G90.511", "Complex regional pain syndrome I of right upper limb", 4, 0.0),
    ("G90.522", "Complex regional pain syndrome I of left lower limb", 3, 0.0),
)
COMORBIDITIES = (
    ("F41.1", "Generalized anxiety disorder"),
    ("F41.0", "Panic disorder [episodic paroxysmal anxiety]"),
    ("G89.4", "Chronic pain syndrome"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
)
ALLERGIES = (
    ("Penicillin", "medication", "Hives", "moderate"),
    ("Sulfonamides", "medication", "Rash", "mild"),
    ("Latex", "environment", "Contact dermatitis", "mild"),
    ("Codeine", "medication", "Nausea and vomiting", "mild"),
    ("Peanuts", "food", "Anaphylaxis", "severe"),
    ("Ondansetron", "medication", "Headache", "mild"),
)
GENDER = {"female": ("Woman", "she/her"), "male": ("Man", "he/him")}


def staff_email(role: str, clinic: DemoClinic) -> str:
    return f"{role}@{clinic.domain}"


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, clinic) for every demo login, in display order."""
    rows = [(staff_email(r, c), Role(r).label, c.name) for c in CLINICS for r in Role]
    rows.append(("multi@network.demo", "Prescriber / Director", "both clinics"))
    rows += portal_logins((c.slug, c.name) for c in CLINICS)
    return rows


def is_loaded() -> bool:
    return Clinic.objects.filter(slug__in=[c.slug for c in CLINICS]).count() == len(CLINICS)


def remove_demo() -> None:
    clinics = Clinic.objects.filter(slug__in=[c.slug for c in CLINICS])
    from ketacare.evaluations.models import (
        Addendum,
        Consent,
        EligibilityDecision,
        Evaluation,
        RemsEnrollment,
    )
    from ketacare.plans.models import ClinicProtocol, PlanRevision, ReviewTask, TreatmentPlan
    from ketacare.scheduling.models import Appointment, Closure, Resource
    from ketacare.treatments.models import (
        DeviceAdministration,
        DoseRecord,
        RemsMonitoringForm,
        SessionAlert,
        TreatmentSession,
        VitalReading,
    )

    with transaction.atomic():
        # Sessions someone ran on the demo protect their appointment, plan and patient.
        from ketacare.demo.aftercare_demo import remove_aftercare

        remove_aftercare(clinics)  # notes and tasks protect sessions, patients and users
        from ketacare.demo.substances_demo import remove_substances

        remove_substances(clinics)  # the log and lots protect sessions, clinics and users
        sessions = TreatmentSession.objects.filter(clinic__in=clinics)
        RemsMonitoringForm.objects.filter(session__in=sessions).delete()
        DeviceAdministration.objects.filter(dose__session__in=sessions).delete()
        DoseRecord.objects.filter(session__in=sessions).delete()
        SessionAlert.objects.filter(session__in=sessions).delete()
        # Corrections point at the readings they replace: delete them first.
        VitalReading.objects.filter(session__in=sessions, corrects__isnull=False).delete()
        VitalReading.objects.filter(session__in=sessions).delete()
        sessions.delete()
        # Appointments, review tasks, revisions and plans protect what they point at: first.
        Appointment.objects.filter(clinic__in=clinics).delete()
        ReviewTask.objects.filter(clinic__in=clinics).delete()
        PlanRevision.objects.filter(plan__clinic__in=clinics).delete()
        TreatmentPlan.objects.filter(clinic__in=clinics).delete()
        ClinicProtocol.objects.filter(clinic__in=clinics).delete()
        Resource.objects.filter(clinic__in=clinics).delete()
        Closure.objects.filter(clinic__in=clinics).delete()  # created_by protects the admin
        # Clinical records protect their patient from deletion; the demo removes them first.
        EligibilityDecision.objects.filter(evaluation__patient__clinic__in=clinics).delete()
        Addendum.objects.filter(evaluation__patient__clinic__in=clinics).delete()
        Consent.objects.filter(patient__clinic__in=clinics).delete()
        RemsEnrollment.objects.filter(patient__clinic__in=clinics).delete()
        Evaluation.objects.filter(patient__clinic__in=clinics).delete()
        remove_portal_demo(clinics)
        Patient.objects.filter(clinic__in=clinics).delete()
        users = User.objects.filter(memberships__clinic__in=clinics).distinct()
        users.filter(email__endswith=".demo").delete()
        clinics.delete()


def load_demo(progress: Callable[[str], None] = lambda _: None) -> None:
    fake = Faker("en_US")
    Faker.seed(SEED)
    rng = random.Random(SEED)
    # Hash the shared demo password once: Argon2 is deliberately slow.
    demo_hash = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        clinics = []
        for spec in CLINICS:
            clinic = Clinic.objects.create(
                name=spec.name, slug=spec.slug, mrn_prefix=spec.prefix, phone=spec.phone
            )
            clinics.append(clinic)
            for role, (name, creds) in STAFF_NAMES.items():
                user = User.objects.create(
                    email=staff_email(role, spec),
                    password=demo_hash,
                    full_name=name,
                    credentials=creds,
                )
                Membership.objects.create(user=user, clinic=clinic, role=role)
            progress(f"{spec.name}: staff")
        multi = User.objects.create(
            email="multi@network.demo",
            password=demo_hash,
            full_name="Dr. Alex Moreau",
            credentials="MD",
        )
        Membership.objects.create(user=multi, clinic=clinics[0], role=Role.PRESCRIBER)
        Membership.objects.create(user=multi, clinic=clinics[1], role=Role.DIRECTOR)
        for clinic in clinics:
            prescriber = User.objects.get(email=f"prescriber@{clinic.slug}.demo")
            nurse = User.objects.get(email=f"nurse@{clinic.slug}.demo")
            for _ in range(PATIENTS_PER_CLINIC):
                _make_patient(fake, rng, clinic, prescriber, nurse)
            progress(f"{clinic.name}: {PATIENTS_PER_CLINIC} patients")
        for clinic in clinics:
            load_histories(clinic, rng, progress)
            load_requests(clinic, rng)
            load_evaluations(clinic, rng, progress)
        for index, clinic in enumerate(clinics):
            calendar = setup_clinic(clinic, index)
            courses = load_plans(clinic, calendar, rng, progress)
            load_appointments(clinic, calendar, courses, rng, progress)
            load_chair_history(clinic, calendar, courses, random.Random(SEED + index), progress)
            load_substances(clinic, random.Random(SEED + 50 + index), progress)
            setup_escalation(clinic)  # on-call rota, escalation list, director (#7)
        for clinic in clinics:
            load_safety(clinic, progress)
        for clinic in clinics:
            load_portal(clinic, demo_hash, rng, progress)
        for clinic in clinics:
            load_aftercare(clinic, rng, progress)
        record(DEMO, "demo.loaded", detail={"clinics": [c.name for c in clinics]})


def _make_patient(
    fake: Faker, rng: random.Random, clinic: Clinic, prescriber: User, nurse: User
) -> None:
    sex = rng.choices(["female", "male", "intersex"], weights=[56, 43, 1])[0]
    given = fake.first_name_female() if sex == "female" else fake.first_name_male()
    family = fake.last_name()
    gender, pronouns = GENDER.get(sex, ("Non-binary", "they/them"))
    if rng.random() < 0.05:
        gender, pronouns = "Non-binary", "they/them"
    born = fake.date_of_birth(minimum_age=19, maximum_age=76)
    created = timezone.now() - timedelta(days=rng.randint(20, 400))
    patient = Patient(
        clinic=clinic,
        mrn=next_mrn(clinic),
        legal_given_name=given,
        legal_family_name=family,
        preferred_name=NICKNAMES.get(given, "") if rng.random() < 0.4 else "",
        pronouns=pronouns,
        birth_date=born,
        sex_at_birth=sex,
        gender_identity=gender,
        phone=f"555-01{rng.randint(0, 99):02d}",
        email=f"{given}.{family}@example.com".lower().replace("'", ""),
        preferred_contact=rng.choice(["phone", "sms", "email"]),
        address_line=fake.street_address(),
        city=fake.city(),
        region=fake.state_abbr(),
        postal_code=fake.postcode(),
        emergency_contact_name=fake.name(),
        emergency_contact_relationship=rng.choice(
            ["Spouse", "Partner", "Parent", "Sibling", "Friend"]
        ),
        emergency_contact_phone=f"555-01{rng.randint(0, 99):02d}",
        created_at=created,
        updated_at=created,
        created_by=nurse,
    )
    patient.save()
    code, display, _, trd_share = rng.choices(
        PRIMARY_DIAGNOSES, weights=[d[2] for d in PRIMARY_DIAGNOSES]
    )[0]
    Diagnosis.objects.create(
        patient=patient,
        icd10_code=code,
        display=display,
        is_primary=True,
        treatment_resistant=rng.random() < trd_share,
        onset_date=date(rng.randint(max(born.year + 15, 1990), 2024), rng.randint(1, 12), 1),
        recorded_by=prescriber,
        recorded_at=created,
    )
    if rng.random() < 0.4:
        extra_code, extra_display = rng.choice(COMORBIDITIES)
        if extra_code != code:
            Diagnosis.objects.create(
                patient=patient,
                icd10_code=extra_code,
                display=extra_display,
                recorded_by=prescriber,
                recorded_at=created,
            )
    if rng.random() < 0.3:
        for substance, category, reaction, severity in rng.sample(ALLERGIES, rng.randint(1, 2)):
            Allergy.objects.create(
                patient=patient,
                substance=substance,
                category=category,
                reaction=reaction,
                severity=severity,
                recorded_by=nurse,
                recorded_at=created,
            )
    else:
        patient.no_known_allergies = True
        patient.save(update_fields=["no_known_allergies"])
    _measurements(rng, patient, sex, created, nurse)


def _measurements(
    rng: random.Random, patient: Patient, sex: str, since: datetime, nurse: User
) -> None:
    height = Decimal(str(round(rng.gauss(163 if sex == "female" else 177, 7), 1)))
    bmi = rng.gauss(27.5, 5)
    weight = max(45.0, min(160.0, bmi * (float(height) / 100) ** 2))
    visits = rng.randint(2, 6)
    span = (timezone.now() - since).days
    for i in range(visits):
        when = since + timedelta(days=span * i / max(visits - 1, 1), hours=rng.randint(8, 16))
        weight += rng.gauss(0, 0.8)
        BodyMeasurement.objects.create(
            patient=patient,
            measured_at=min(when, timezone.now()),
            weight_kg=Decimal(str(round(weight, 1))),
            height_cm=height if i == 0 else None,
            recorded_by=nurse,
            recorded_at=min(when, timezone.now()),
        )
