from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "ketacare.measures"
    label = "measures"
