"""The clinic's protocol library: list, read, edit a new version (mounted at protocols/)."""

from django.urls import URLPattern

app_name = "plans_clinic"

urlpatterns: list[URLPattern] = []
