"""The patient's safety plan link, mounted at /sp/ (no sign-in; the token is the key)."""

from django.urls import path

from ketacare.safety import plan_views, views_portal

app_name = "safety_plan_public"

urlpatterns = [
    path("<str:token>/", plan_views.public_plan, name="plan"),
    path("<str:token>/help/", views_portal.plan_link_help, name="help"),
]
