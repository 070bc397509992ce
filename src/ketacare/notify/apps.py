from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "ketacare.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from ketacare.notify import checks  # noqa: F401  (registers the backend checks)
