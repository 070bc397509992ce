"""Staff pages of the measurement schedule and self-report links, mounted at /measures/."""

from django.urls import path

from ketacare.measures import (
    due_views,
    response_views,
    schedule_views,
    selfreport_views,
    thresholds_views,
)

app_name = "measures_clinic"

urlpatterns = [
    path("due/", due_views.due_list, name="due"),
    path("schedule/", schedule_views.schedule_page, name="schedule"),
    path("schedule/<int:rule_id>/toggle/", schedule_views.rule_toggle, name="rule_toggle"),
    path("response-rules/", response_views.response_rules_page, name="response_rules"),
    path(
        "scoring-thresholds/",
        thresholds_views.scoring_thresholds_page,
        name="scoring_thresholds",
    ),
    path(
        "patients/<str:patient_id>/self-report/",
        selfreport_views.send_link,
        name="send_link",
    ),
    path(
        "patients/<str:patient_id>/self-report/<int:link_id>/revoke/",
        selfreport_views.revoke_link,
        name="revoke_link",
    ),
]
