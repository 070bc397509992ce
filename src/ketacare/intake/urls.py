"""Staff intake pages, mounted at /intake/."""

from django.urls import path

from ketacare.intake import newsletter_views, views

app_name = "intake"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("newsletter/", newsletter_views.subscriber_list, name="newsletter"),
    path("newsletter/export.csv", newsletter_views.export, name="newsletter_export"),
    path(
        "newsletter/<int:subscriber_id>/unsubscribe/",
        newsletter_views.staff_unsubscribe,
        name="newsletter_unsubscribe",
    ),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/attempts/", views.record_attempt, name="record_attempt"),
    path("<int:request_id>/status/", views.set_status, name="set_status"),
    path("<int:request_id>/convert/", views.convert, name="convert"),
    path("<int:request_id>/link/", views.link, name="link"),
]
