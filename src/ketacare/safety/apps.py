from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ketacare.safety"
    label = "safety"
