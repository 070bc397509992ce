"""The patient's self-report pages, mounted at /r/ (no sign-in; the token is the key)."""

from django.urls import path

from ketacare.measures import selfreport_views as views

app_name = "selfreport"

urlpatterns = [
    # Before <token>/ so "thanks" is never read as a token (tokens are 43 characters).
    path("thanks/", views.thanks, name="thanks"),
    path("thanks/help/", views.thanks_help, name="thanks_help"),
    path("<str:token>/", views.fill, name="fill"),
    path("<str:token>/draft/", views.autosave, name="autosave"),
    path("<str:token>/help/", views.help_now, name="help"),
]
