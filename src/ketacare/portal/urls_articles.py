"""Staff editor of education articles (mounted at /articles/)."""

from django.urls import path

from ketacare.portal import views_articles

app_name = "portal_articles"

urlpatterns = [
    path("", views_articles.staff_list, name="list"),
    path("new/", views_articles.edit, name="new"),
    path("<int:article_id>/", views_articles.edit, name="edit"),
    path("<int:article_id>/publish/", views_articles.publish, name="publish"),
]
