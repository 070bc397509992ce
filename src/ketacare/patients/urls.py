from django.urls import path

from ketacare.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<str:patient_id>/", views.patient_chart, name="chart"),
    path("<str:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<str:patient_id>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path(
        "<str:patient_id>/diagnoses/<int:diagnosis_id>/status/",
        views.diagnosis_status,
        name="diagnosis_status",
    ),
    path("<str:patient_id>/allergies/", views.allergy_add, name="allergy_add"),
    path(
        "<str:patient_id>/allergies/none-known/",
        views.allergy_none_known,
        name="allergy_none_known",
    ),
    path(
        "<str:patient_id>/allergies/<int:allergy_id>/inactivate/",
        views.allergy_inactivate,
        name="allergy_inactivate",
    ),
    path("<str:patient_id>/measurements/", views.measurement_add, name="measurement_add"),
]
