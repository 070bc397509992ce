from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "ketacare.treatments"
    label = "treatments"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from ketacare.safety.crisis_models import DosingBlock
        from ketacare.treatments.block_alerts import on_block_saved

        post_save.connect(
            on_block_saved, sender=DosingBlock, dispatch_uid="treatments.block_alerts"
        )
