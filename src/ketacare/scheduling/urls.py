"""The schedule: day and week views, booking, setup of chairs, hours and closures
(mounted at schedule/)."""

from django.urls import path

from ketacare.scheduling import views, views_setup

app_name = "scheduling"

urlpatterns = [
    path("", views.today, name="today"),
    path("day/<str:day>/", views.day_view, name="day"),
    path("week/<str:day>/", views.week_view, name="week"),
    path("appointments/<str:appointment_id>/", views.appointment_detail, name="appointment"),
    path(
        "appointments/<str:appointment_id>/reschedule/",
        views.appointment_reschedule,
        name="reschedule",
    ),
    path("appointments/<str:appointment_id>/cancel/", views.appointment_cancel, name="cancel"),
    path("appointments/<str:appointment_id>/status/", views.appointment_status, name="status"),
    path("setup/", views_setup.setup_page, name="setup"),
    path("setup/resources/", views_setup.resource_add, name="resource_add"),
    path("setup/resources/<int:resource_id>/", views_setup.resource_edit, name="resource_edit"),
    path(
        "setup/resources/<int:resource_id>/toggle/",
        views_setup.resource_toggle,
        name="resource_toggle",
    ),
    path("setup/hours/", views_setup.hours_save, name="hours"),
    path("setup/closures/", views_setup.closure_add, name="closure_add"),
    path(
        "setup/closures/<int:closure_id>/remove/",
        views_setup.closure_remove,
        name="closure_remove",
    ),
    path("setup/staff-hours/", views_setup.staff_hours_add, name="staff_hours_add"),
    path(
        "setup/staff-hours/<int:hours_id>/remove/",
        views_setup.staff_hours_remove,
        name="staff_hours_remove",
    ),
    path("setup/reminders/", views_setup.leads_save, name="leads"),
]
