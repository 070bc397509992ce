"""The patient portal, mounted at /portal/ (patients only; see README.md to add a page)."""

from django.urls import path

from ketacare.portal import (
    views,
    views_appointments,
    views_articles,
    views_auth,
    views_messages,
    views_questionnaires,
)

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.crisis, name="crisis"),
    path("help/now/", views.help_now, name="help_now"),
    path("sign-in/", views_auth.sign_in, name="sign_in"),
    path("sign-in/code/", views_auth.verify, name="verify"),
    path("sign-in/link/<str:token>/", views_auth.link_sign_in, name="link_sign_in"),
    path("welcome/<str:token>/", views_auth.welcome, name="welcome"),
    path("sign-out/", views_auth.sign_out, name="sign_out"),
    path("security/", views_auth.security, name="security"),
    path("appointments/", views_appointments.appointment_list, name="appointments"),
    path(
        "appointments/<uuid:appointment_id>/confirm/",
        views_appointments.confirm,
        name="appointment_confirm",
    ),
    path(
        "appointments/<uuid:appointment_id>/reschedule/",
        views_appointments.reschedule,
        name="appointment_reschedule",
    ),
    path("messages/", views_messages.thread_list, name="messages"),
    path("messages/<int:thread_id>/", views_messages.thread, name="thread"),
    path("learn/", views_articles.patient_list, name="articles"),
    path("learn/<int:article_id>/", views_articles.patient_article, name="article"),
    path("record/", views.record, name="record"),
    path("record/download/", views.download, name="download"),
    path("record/summary/", views.summary, name="summary"),
    path("record/who-viewed/", views.who_viewed, name="who_viewed"),
    path("progress/", views.progress, name="progress"),
    path("questionnaires/", views_questionnaires.questionnaire_list, name="questionnaires"),
    path("questionnaires/start/", views_questionnaires.start, name="questionnaire_start"),
    path("questionnaires/<int:link_id>/", views_questionnaires.fill, name="questionnaire_fill"),
]
