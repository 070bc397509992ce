from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "ketacare.fhir"
    label = "kc_fhir"
