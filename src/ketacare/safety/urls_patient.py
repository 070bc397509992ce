"""Risk-flag pages on a chart, mounted under /patients/<patient_id>/safety/."""

from django.urls import path

from ketacare.safety import views

app_name = "safety_patient"

urlpatterns = [
    path("flag/", views.manual_flag, name="manual_flag"),
]
