"""The prescriber's work list of plan reviews and stop-rule alerts (mounted at reviews/)."""

from django.urls import path

from ketacare.plans import views_reviews as views

app_name = "reviews"

urlpatterns = [
    path("", views.work_list, name="list"),
    path("<int:pk>/", views.decide, name="decide"),
]
