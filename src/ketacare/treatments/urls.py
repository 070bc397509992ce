"""/patients/<patient_id>/sessions/…: the session page and each step at the chair."""

from django.urls import path

from ketacare.treatments import views

app_name = "treatments"

urlpatterns = [
    path("start/", views.check_in, name="check_in"),
    path("<int:session_id>/", views.detail, name="detail"),
    path("<int:session_id>/checks/", views.record_checks, name="checks"),
    path("<int:session_id>/hold/", views.clear_hold, name="clear_hold"),
    path("<int:session_id>/dose/", views.start_dose, name="dose"),
    path("<int:session_id>/device/", views.record_device, name="device"),
    path("<int:session_id>/end-infusion/", views.end_infusion, name="end_infusion"),
    path("<int:session_id>/vitals/", views.record_vitals, name="vitals"),
    path("<int:session_id>/alerts/<int:alert_id>/", views.acknowledge, name="acknowledge"),
    path("<int:session_id>/discharge/", views.discharge, name="discharge"),
    path("<int:session_id>/stop/", views.stop, name="stop"),
    path("<int:session_id>/transfer/", views.transfer_out, name="transfer"),
]

from ketacare.treatments import views_chair  # noqa: E402

urlpatterns += [
    path("<int:session_id>/substances/", views_chair.record_use, name="substance_use"),
    path("<int:session_id>/infusion/", views_chair.infusion_event, name="infusion"),
    path("<int:session_id>/vitals/correct/", views_chair.correct_reading, name="correct_reading"),
    path(
        "<int:session_id>/discharge-sheet/",
        views_chair.print_discharge_sheet,
        name="discharge_sheet",
    ),
    path("<int:session_id>/sign/", views_chair.sign, name="sign"),
    path("<int:session_id>/addenda/", views_chair.add_addendum, name="addendum"),
    path("<int:session_id>/side-effects/", views_chair.record_side_effect, name="side_effect"),
    path(
        "<int:session_id>/side-effects/in-error/",
        views_chair.mark_side_effect_in_error,
        name="side_effect_in_error",
    ),
]
