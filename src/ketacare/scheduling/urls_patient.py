"""A patient's appointments: book one or a series, reschedule, cancel
(mounted at patients/<patient_id>/appointments/)."""

from django.urls import path

from ketacare.scheduling import views_patient

app_name = "scheduling_patient"

urlpatterns = [
    path("new/", views_patient.book, name="book"),
    path("series/<int:plan_id>/", views_patient.series, name="series"),
]
