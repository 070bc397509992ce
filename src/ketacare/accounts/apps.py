from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketacare.accounts"
    label = "accounts"
    verbose_name = "Clinics, staff and audit"

    def ready(self) -> None:
        from ketacare.accounts import signals  # noqa: F401  (connects the login audit)
