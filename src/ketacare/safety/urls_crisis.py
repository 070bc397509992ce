"""/patients/<patient_id>/crisis/…: crisis records, dosing blocks and the safety plan."""

from django.urls import path

from ketacare.safety import crisis_views, plan_views

app_name = "crisis"

urlpatterns = [
    path("", crisis_views.overview, name="overview"),
    path("timeline/", crisis_views.timeline, name="timeline"),
    path("crisis/open/", crisis_views.open_crisis, name="open_crisis"),
    path("crisis/<int:crisis_id>/", crisis_views.crisis_detail, name="crisis"),
    path("crisis/<int:crisis_id>/step/<str:kind>/", crisis_views.record_step, name="step"),
    path("crisis/<int:crisis_id>/close/", crisis_views.close, name="close"),
    path("crisis/<int:crisis_id>/addendum/", crisis_views.addendum, name="addendum"),
    path("blocks/<int:block_id>/clear/", crisis_views.clear_block, name="clear_block"),
    path("plan/", plan_views.plan, name="plan"),
    path("plan/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plan/print/", plan_views.plan_print, name="plan_print"),
    path("plan/v<int:version>/", plan_views.plan_version, name="plan_version"),
    path("plan/link/", plan_views.issue_link, name="plan_link"),
    path("plan/link/<int:link_id>/revoke/", plan_views.revoke_link, name="plan_link_revoke"),
]
