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

from ketacare.treatments import views_substances  # noqa: E402

urlpatterns += [
    path("substances/", views_substances.index, name="substances"),
    path("substances/lots/", views_substances.receive_lot, name="substance_receive"),
    path("substances/count/", views_substances.count, name="substance_count"),
    path("substances/waste/", views_substances.waste, name="substance_waste"),
    path("substances/loss/", views_substances.loss, name="substance_loss"),
    path(
        "substances/entries/<int:entry_id>/review/",
        views_substances.review,
        name="substance_review",
    ),
    path("substances/lots/<int:lot_id>/", views_substances.lot_detail, name="substance_lot"),
    path(
        "substances/lots/<int:lot_id>/correct/",
        views_substances.correct_entry,
        name="substance_correct",
    ),
    path(
        "substances/lots/<int:lot_id>/receive/",
        views_substances.receive_more,
        name="substance_receive_more",
    ),
]
