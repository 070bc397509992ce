"""The patient's safety plan in the portal (mounted at portal/safety-plan/)."""

from django.urls import path

from ketacare.safety import views_portal

app_name = "safety_portal"

urlpatterns = [
    path("", views_portal.safety_plan, name="plan"),
]
