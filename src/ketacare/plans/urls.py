"""A patient's treatment plan: create, personalise, dose, sign, revise
(mounted at patients/<patient_id>/plan/)."""

from django.urls import path

from ketacare.plans import views

app_name = "plans"

urlpatterns = [
    path("", views.current, name="current"),
    path("new/", views.new, name="new"),
    path("<int:plan_id>/", views.detail, name="detail"),
    path("<int:plan_id>/edit/", views.edit, name="edit"),
    path("<int:plan_id>/sign/", views.sign, name="sign"),
    path("<int:plan_id>/status/", views.set_status, name="status"),
    path("<int:plan_id>/phase/", views.set_phase, name="phase"),
    path("<int:plan_id>/history/", views.history, name="history"),
]
