from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "ketacare.aftercare"
    label = "aftercare"
    verbose_name = "Aftercare"
