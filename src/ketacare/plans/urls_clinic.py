"""The clinic's protocol library: list, read, edit a new version (mounted at protocols/)."""

from django.urls import path

from ketacare.plans import views_protocols as views

app_name = "plans_clinic"

urlpatterns = [
    path("", views.protocol_list, name="list"),
    path("<str:code>/", views.protocol_detail, name="detail"),
    path("<str:code>/edit/", views.protocol_edit, name="edit"),
    path("<str:code>/availability/", views.protocol_availability, name="availability"),
]
