"""The prescriber's work list of plan reviews and stop-rule alerts (mounted at reviews/)."""

from django.urls import URLPattern

app_name = "reviews"

urlpatterns: list[URLPattern] = []
