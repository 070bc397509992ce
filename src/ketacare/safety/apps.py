from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ketacare.safety"
    label = "safety"

    def ready(self) -> None:
        from ketacare.safety.escalation import on_flag_raised
        from ketacare.safety.signals import risk_flag_raised

        risk_flag_raised.connect(on_flag_raised, dispatch_uid="safety.escalation.start")
