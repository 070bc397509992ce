"""The public intake pages, mounted at /c/ (no sign-in; the clinic is chosen by its slug)."""

from django.urls import path

from ketacare.intake import public_views as views

app_name = "intake_public"

urlpatterns = [
    path("<slug:clinic_slug>/consultation/", views.consultation, name="consultation"),
    path("<slug:clinic_slug>/consultation/thanks/", views.thanks, name="thanks"),
    path(
        "<slug:clinic_slug>/newsletter/confirm/<str:token>/",
        views.newsletter_confirm,
        name="newsletter_confirm",
    ),
    path(
        "<slug:clinic_slug>/newsletter/unsubscribe/<str:token>/",
        views.newsletter_unsubscribe,
        name="newsletter_unsubscribe",
    ),
]
