"""A patient's treatment plan: create, personalise, dose, sign, revise
(mounted at patients/<patient_id>/plan/)."""

from django.urls import URLPattern

app_name = "plans"

urlpatterns: list[URLPattern] = []
