from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "ketacare.aftercare"
    label = "aftercare"
    verbose_name = "Aftercare"

    def ready(self) -> None:
        # The patient's habit pages in the portal menu (see portal/README.md).
        from ketacare.portal import nav

        nav.register("Habits", "aftercare_portal:log", order=25)
