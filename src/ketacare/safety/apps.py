from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ketacare.safety"
    label = "safety"

    def ready(self) -> None:
        from ketacare.safety.escalation import on_flag_raised
        from ketacare.safety.signals import risk_flag_raised

        risk_flag_raised.connect(on_flag_raised, dispatch_uid="safety.escalation.start")

        # The crisis follow-up reminder runs in the worker's watch pass (core.watch).
        from ketacare.core import watch
        from ketacare.safety.followup import WATCHER

        if WATCHER not in watch.WATCHERS:
            watch.WATCHERS.append(WATCHER)

        # The patient's safety plan in the portal menu and home page (see portal/README.md).
        from ketacare.portal import home_cards, nav
        from ketacare.safety.views_portal import safety_plan_card

        nav.register("Safety plan", "safety_portal:plan", order=15)
        home_cards.register(safety_plan_card)
