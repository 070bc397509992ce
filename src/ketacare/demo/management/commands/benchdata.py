"""`ketacare benchdata`: a large synthetic clinic for benchmarks (bulk insert, one audit entry)."""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.demo.loader import DEMO_PASSWORD, PRIMARY_DIAGNOSES
from ketacare.patients.models import BodyMeasurement, Diagnosis, Patient, normalise

FIRST = [
    "Ava",
    "Liam",
    "Mia",
    "Noah",
    "Zoe",
    "Ethan",
    "Lena",
    "Omar",
    "Ines",
    "Kai",
    "Ruth",
    "Theo",
    "Maya",
    "Leo",
    "Nora",
    "Ivan",
    "Sara",
    "Hugo",
    "Emma",
    "Yusuf",
]
LAST = [
    "Garcia",
    "Smith",
    "Nguyen",
    "Patel",
    "Kowalski",
    "Okafor",
    "Rossi",
    "Müller",
    "Haddad",
    "Johansson",
    "Silva",
    "Kim",
    "Novak",
    "Dubois",
    "Tanaka",
    "Moreau",
    "Cohen",
    "Brown",
]
BATCH = 2000


class Command(BaseCommand):
    help = "Create (or top up) a benchmark clinic with N synthetic patients, each with history."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--patients", type=int, default=20000)
        parser.add_argument("--clinic", default="Benchmark Clinic")

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(7)
        clinic, _ = Clinic.objects.get_or_create(
            name=options["clinic"], defaults={"slug": "bench", "mrn_prefix": "BEN"}
        )
        user = User.objects.filter(email="nurse@bench.demo").first() or User.objects.create_user(
            "nurse@bench.demo", DEMO_PASSWORD, full_name="Bench Nurse", credentials="RN"
        )
        Membership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": Role.NURSE})
        have = clinic.patients.count()
        todo = max(options["patients"] - have, 0)
        done = 0
        while done < todo:
            n = min(BATCH, todo - done)
            with transaction.atomic():
                start = Clinic.objects.select_for_update().get(pk=clinic.pk).mrn_counter
                patients = []
                for i in range(n):
                    given, family = rng.choice(FIRST), rng.choice(LAST) + str(rng.randint(1, 999))
                    patients.append(
                        Patient(
                            clinic=clinic,
                            mrn=f"BEN{start + i + 1:07d}",
                            legal_given_name=given,
                            legal_family_name=family,
                            birth_date=date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000)),
                            sex_at_birth=rng.choice(["female", "male"]),
                            phone="555-0123",
                            search_name=normalise(f"{family} {given} "),
                        )
                    )
                Patient.objects.bulk_create(patients)
                Clinic.objects.filter(pk=clinic.pk).update(mrn_counter=start + n)
                diagnoses, measures = [], []
                for p in patients:
                    code, display, _, _ = rng.choice(PRIMARY_DIAGNOSES)
                    diagnoses.append(
                        Diagnosis(patient=p, icd10_code=code, display=display, is_primary=True)
                    )
                    for _ in range(3):
                        measures.append(
                            BodyMeasurement(
                                patient=p,
                                weight_kg=Decimal(rng.randint(50, 120)),
                                height_cm=Decimal(rng.randint(150, 195)),
                            )
                        )
                Diagnosis.objects.bulk_create(diagnoses)
                BodyMeasurement.objects.bulk_create(measures)
            done += n
            sys.stderr.write(f"\r  {done}/{todo} patients")
        if todo:
            sys.stderr.write("\n")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # fresh planner statistics after a bulk load
            record(
                Actor(label="cli:benchdata"),
                "bench.data.generated",
                clinic_id=clinic.pk,
                detail={"patients": todo},
            )
        self.stdout.write(f"{clinic.name}: {clinic.patients.count()} patients.")
