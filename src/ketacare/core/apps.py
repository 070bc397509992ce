from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ketacare.core"
    label = "kc_core"
