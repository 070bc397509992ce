"""Risk-flag pages, mounted at /safety/ (see ketacare/urls.py)."""

from django.urls import path

from ketacare.safety import views

app_name = "safety"

urlpatterns = [
    path("", views.open_list, name="open"),
    path("banner/", views.banner, name="banner"),
    path("notifications/", views.notifications, name="notifications"),
    path("flags/<int:flag_id>/", views.flag_detail, name="flag"),
    path("flags/<int:flag_id>/resolve/", views.flag_resolve, name="resolve"),
    path("settings/", views.settings_page, name="settings"),
    path("rota/", views.rota_page, name="rota"),
    path("rota/<str:kind>/<int:row_id>/remove/", views.rota_remove, name="rota_remove"),
]
