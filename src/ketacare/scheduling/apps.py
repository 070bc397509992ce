from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "ketacare.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling: chairs, rooms, hours and appointments"
