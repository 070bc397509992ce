from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ketacare.plans"
    label = "plans"
    verbose_name = "Protocols and treatment plans"
