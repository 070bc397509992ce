from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ketacare.demo"
    label = "kc_demo"
