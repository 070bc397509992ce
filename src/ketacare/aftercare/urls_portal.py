"""The patient's habit pages in the portal (mounted at portal/habits/)."""

from django.urls import path

from ketacare.aftercare import views_portal

app_name = "aftercare_portal"

urlpatterns = [
    path("", views_portal.log, name="log"),
    path("week/", views_portal.week, name="week"),
]
