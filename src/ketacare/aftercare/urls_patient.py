"""A patient's aftercare pages (mounted at patients/<patient_id>/aftercare/)."""

from django.urls import path

from ketacare.aftercare import views_habits, views_integration

app_name = "aftercare_patient"

urlpatterns = [
    path("integration/", views_integration.note_list, name="notes"),
    path("integration/new/", views_integration.note_new, name="note_new"),
    path("integration/<int:pk>/", views_integration.note_detail, name="note"),
    path("integration/<int:pk>/sign/", views_integration.note_sign, name="note_sign"),
    path("integration/<int:pk>/addendum/", views_integration.note_addendum, name="note_addendum"),
    path("habits/", views_habits.habits_page, name="habits"),
    path("habits/goals/", views_habits.goal_add, name="goal_add"),
    path("habits/goals/<int:pk>/end/", views_habits.goal_end, name="goal_end"),
]
