from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ketacare.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self) -> None:
        from ketacare.portal.cards import register_all

        register_all()
