"""A patient's appointments: book one or a series, reschedule, cancel
(mounted at patients/<patient_id>/appointments/)."""

from django.urls import URLPattern

app_name = "scheduling_patient"

urlpatterns: list[URLPattern] = []
