"""The demo shows the safety work: closed crisis records with dispositions, one open moderate
flag per clinic, safety plans on several charts, and no demo patient blocked from dosing."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.demo.loader import load_demo
from ketacare.demo.safety_demo import load_safety
from ketacare.safety.crisis_models import CrisisRecord, DosingBlock, SafetyPlanVersion
from ketacare.safety.dosing_block import dosing_block_reasons
from ketacare.safety.models import RiskFlag


def test_demo_has_resolved_crises_an_open_moderate_flag_and_plans(db: Any) -> None:
    load_demo()
    for clinic in Clinic.objects.filter(slug__in=["riverside", "lakeside"]):
        records = CrisisRecord.objects.filter(patient__clinic=clinic)
        assert records.count() >= 2
        assert not records.filter(status="open").exists()
        assert all(r.disposition and r.summary for r in records)
        assert all(r.steps.filter(kind="close").exists() for r in records)
        flags = RiskFlag.objects.filter(patient__clinic=clinic)
        assert flags.filter(level="moderate", status="open").count() == 1
        assert not flags.filter(level="high", status="open").exists()
        # Past moderate and low flags were resolved with a note after acknowledgment (the
        # FHIR Flag is inactive); only the recent one is open.
        assert not flags.filter(level__in=["moderate", "low"], status="acknowledged").exists()
        for flag in flags.filter(level__in=["moderate", "low"], status="resolved"):
            assert flag.resolved_at and flag.resolution_note
            assert flag.resolved_at >= flag.acknowledged_at
        # Every closed flag went through the workflow: acknowledged by someone, with an
        # action, on the timeline; past item-9 flags were followed by their C-SSRS screen.
        for flag in flags.exclude(status="open"):
            assert flag.acknowledged_by_id and flag.acknowledged_at and flag.action_taken
            assert flag.escalation_events.filter(kind="acknowledged").exists()
            if flag.requires_cssrs:
                assert flag.patient.assessments.filter(
                    scale_code="cssrs_recent", administered_at__gte=flag.raised_at
                ).exists()
        plans = SafetyPlanVersion.objects.filter(patient__clinic=clinic)
        assert plans.values("patient").distinct().count() >= 4
        assert plans.filter(version=2).exists()
        assert not DosingBlock.objects.filter(patient__clinic=clinic, cleared_at__isnull=True)
        for record in records:
            assert dosing_block_reasons(record.patient) == []
    before = (CrisisRecord.objects.count(), SafetyPlanVersion.objects.count())
    for clinic in Clinic.objects.all():
        load_safety(clinic)  # idempotent
    assert (CrisisRecord.objects.count(), SafetyPlanVersion.objects.count()) == before
