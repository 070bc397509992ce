from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "ketacare.notify"
    label = "notify"
    verbose_name = "Notifications"
