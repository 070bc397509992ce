"""/patients/<patient_id>/sessions/<session_id>/rems/…: one session's REMS monitoring form."""

from django.urls import path

from ketacare.treatments import views_rems

app_name = "rems"

urlpatterns = [
    path("", views_rems.form_page, name="form"),
    path("entries/", views_rems.save_entries, name="entries"),
    path("submit/", views_rems.submit, name="submit"),
]
