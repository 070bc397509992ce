"""Clinic-wide aftercare pages (mounted at aftercare/)."""

from django.urls import path

from ketacare.aftercare import views_clinic

app_name = "aftercare"

urlpatterns = [
    path("caseload/", views_clinic.caseload_page, name="caseload"),
    path("settings/", views_clinic.settings_page, name="settings"),
    path("followup/", views_clinic.followup_page, name="followup"),
    path("tasks/<int:pk>/", views_clinic.task_page, name="task"),
]
