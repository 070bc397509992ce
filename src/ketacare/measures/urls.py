"""Assessment pages, mounted under /patients/<patient_id>/assessments/ (see ketacare/urls.py)."""

from django.urls import path

from ketacare.measures import views, views_episodes, views_trajectories

app_name = "measures"

urlpatterns = [
    path("", views.choose, name="choose"),
    path("trajectories/", views_trajectories.trajectories, name="trajectories"),
    path("episodes/", views_episodes.episodes, name="episodes"),
    path("episodes/<int:episode_id>/close/", views_episodes.episode_close, name="episode_close"),
    path("new/<str:scale_code>/", views.administer, name="administer"),
    path("new/<str:scale_code>/preview/", views.preview, name="preview"),
    path("<int:assessment_id>/", views.detail, name="detail"),
    path(
        "<int:assessment_id>/entered-in-error/",
        views.entered_in_error,
        name="entered_in_error",
    ),
]
