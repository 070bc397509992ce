"""The schedule: day and week views, booking, setup of chairs, hours and closures
(mounted at schedule/)."""

from django.urls import URLPattern

app_name = "scheduling"

urlpatterns: list[URLPattern] = []
