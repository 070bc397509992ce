"""/chairs/: the clinic's chair board and the fragment it polls."""

from django.urls import path

from ketacare.treatments import views_board, views_limits, views_notices

app_name = "chairs"

urlpatterns = [
    path("", views_board.board, name="board"),
    path("live/", views_board.board_fragment, name="board_fragment"),
    path("limits/", views_limits.limits_page, name="limits"),
    path("notices/", views_notices.notice_list, name="notices"),
    path("notices/<int:notice_id>/read/", views_notices.mark_read, name="notice_read"),
]
