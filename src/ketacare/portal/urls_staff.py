"""Staff pages of the portal on a patient's chart (mounted at patients/<patient_id>/portal/)."""

from django.urls import path

from ketacare.portal import views_staff

app_name = "portal_staff"

urlpatterns = [
    path("", views_staff.portal_access, name="access"),
]
