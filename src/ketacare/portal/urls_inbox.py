"""Staff inbox of patient portal messages (mounted at /inbox/)."""

from django.urls import path

from ketacare.portal import views_inbox

app_name = "portal_inbox"

urlpatterns = [
    path("", views_inbox.inbox, name="list"),
    path("<int:thread_id>/", views_inbox.thread_detail, name="thread"),
]
