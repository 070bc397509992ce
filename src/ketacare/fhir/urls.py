from django.urls import path, re_path

from ketacare.fhir import (
    transaction,
    views,
    views_adverse_event,
    views_aftercare,
    views_clinical,
    views_communication,
    views_device,
    views_encounter,
    views_measures,
    views_plans,
    views_safety,
    views_scheduling,
    views_session,
)

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_type, name="patient_type"),
    path("Patient/_search", views.patient_search_post, name="patient_search"),
    path("Patient/<str:patient_id>", views.patient_instance, name="patient_instance"),
    path("Questionnaire", views_measures.questionnaire_type, name="questionnaire_type"),
    path(
        "Questionnaire/<str:resource_id>",
        views_measures.questionnaire_instance,
        name="questionnaire_instance",
    ),
    path("QuestionnaireResponse", views_measures.response_type, name="response_type"),
    path(
        "QuestionnaireResponse/<str:resource_id>",
        views_measures.response_instance,
        name="response_instance",
    ),
    # POST from monitor gateways and session readings; GET delegates to views_measures.
    path("Observation", views_device.observation_type, name="observation_type"),
    path(
        "Observation/<str:resource_id>",
        views_device.observation_instance,
        name="observation_instance",
    ),
    path("Condition", views_clinical.condition_type, name="condition_type"),
    path(
        "Condition/<str:resource_id>",
        views_clinical.condition_instance,
        name="condition_instance",
    ),
    path(
        "MedicationStatement",
        views_clinical.medication_statement_type,
        name="medication_statement_type",
    ),
    path(
        "MedicationStatement/<str:resource_id>",
        views_clinical.medication_statement_instance,
        name="medication_statement_instance",
    ),
    path("AllergyIntolerance", views_clinical.allergy_type, name="allergy_type"),
    path(
        "AllergyIntolerance/<str:resource_id>",
        views_clinical.allergy_instance,
        name="allergy_instance",
    ),
    path("Consent", views_clinical.consent_type, name="consent_type"),
    path("Consent/<str:resource_id>", views_clinical.consent_instance, name="consent_instance"),
    path("CarePlan", views_plans.careplan_type, name="careplan_type"),
    path("CarePlan/<str:resource_id>", views_plans.careplan_instance, name="careplan_instance"),
    path("PlanDefinition", views_plans.plandefinition_type, name="plandefinition_type"),
    path(
        "PlanDefinition/<str:resource_id>",
        views_plans.plandefinition_instance,
        name="plandefinition_instance",
    ),
    path("Appointment", views_scheduling.appointment_type, name="appointment_type"),
    path(
        "Appointment/<str:resource_id>",
        views_scheduling.appointment_instance,
        name="appointment_instance",
    ),
    path("Location", views_scheduling.location_type, name="location_type"),
    path(
        "Location/<str:resource_id>",
        views_scheduling.location_instance,
        name="location_instance",
    ),
    path("Encounter", views_encounter.encounter_type, name="encounter_type"),
    path(
        "Encounter/<str:resource_id>",
        views_encounter.encounter_instance,
        name="encounter_instance",
    ),
    path(
        "MedicationAdministration",
        views_session.medication_administration_type,
        name="medication_administration_type",
    ),
    path(
        "MedicationAdministration/<str:resource_id>",
        views_session.medication_administration_instance,
        name="medication_administration_instance",
    ),
    # Batch and transaction Bundles of vital-signs Observations from monitor gateways.
    path("", transaction.system_interaction, name="system"),
    path("AdverseEvent", views_adverse_event.adverse_event_type, name="adverse_event_type"),
    path(
        "AdverseEvent/<str:resource_id>",
        views_adverse_event.adverse_event_instance,
        name="adverse_event_instance",
    ),
    path("Flag", views_safety.flag_type, name="flag_type"),
    path("Flag/<str:resource_id>", views_safety.flag_instance, name="flag_instance"),
    path("RiskAssessment", views_safety.risk_assessment_type, name="risk_assessment_type"),
    path(
        "RiskAssessment/<str:resource_id>",
        views_safety.risk_assessment_instance,
        name="risk_assessment_instance",
    ),
    path("Communication", views_communication.communication_type, name="communication_type"),
    path(
        "Communication/<str:resource_id>",
        views_communication.communication_instance,
        name="communication_instance",
    ),
    path("Goal", views_aftercare.goal_type, name="goal_type"),
    path("Goal/<str:resource_id>", views_aftercare.goal_instance, name="goal_instance"),
    # Keep last: anything else under /fhir/ answers with an OperationOutcome.
    re_path(r"^(?P<rest>.*)$", views.unknown_resource, name="unknown"),
]
