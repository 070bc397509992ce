"""/chairs/: the clinic's chair board and the fragment it polls."""

from django.urls import path

from ketacare.treatments import views_board

app_name = "chairs"

urlpatterns = [
    path("", views_board.board, name="board"),
    path("live/", views_board.board_fragment, name="board_fragment"),
]
