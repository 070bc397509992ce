"""Clinic-wide evaluation pages, mounted under /evaluations/ (see ketacare/urls.py)."""

from django.urls import path

from ketacare.evaluations import views_policy

app_name = "evaluations_clinic"

urlpatterns = [
    path("policy/", views_policy.policy, name="policy"),
]
