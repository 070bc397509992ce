from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "ketacare.evaluations"
    label = "evaluations"
    verbose_name = "Evaluations and eligibility"
