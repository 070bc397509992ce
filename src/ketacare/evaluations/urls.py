"""Evaluation pages, mounted under /patients/<patient_id>/evaluation/ (see ketacare/urls.py)."""

from django.urls import path

from ketacare.evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("start/", views.start, name="start"),
    path("consent/", views.consent, name="consent"),
    path("rems/", views.rems, name="rems"),
    path("<int:evaluation_id>/", views.detail, name="detail"),
    path("<int:evaluation_id>/edit/", views.edit, name="edit"),
    path("<int:evaluation_id>/trials/", views.trial_add, name="trial_add"),
    path(
        "<int:evaluation_id>/trials/<int:trial_id>/remove/",
        views.trial_remove,
        name="trial_remove",
    ),
    path("<int:evaluation_id>/medications/", views.medication_add, name="medication_add"),
    path(
        "<int:evaluation_id>/medications/<int:medication_id>/remove/",
        views.medication_remove,
        name="medication_remove",
    ),
    path("<int:evaluation_id>/decision/", views.decision, name="decision"),
    path("<int:evaluation_id>/addenda/", views.addendum_add, name="addendum_add"),
]
