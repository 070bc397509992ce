"""URL map: staff pages, the JSON API at /api/v1/ and the FHIR R4 base at /fhir/."""

from django.urls import include, path

from ketacare.accounts import views as account_views
from ketacare.api.router import api
from ketacare.core import views as core_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("ketacare.accounts.urls")),
    path("patients/<str:patient_id>/assessments/", include("ketacare.measures.urls")),
    path("patients/<str:patient_id>/evaluation/", include("ketacare.evaluations.urls")),
    path("patients/<str:patient_id>/plan/", include("ketacare.plans.urls")),
    path("patients/<str:patient_id>/appointments/", include("ketacare.scheduling.urls_patient")),
    path("patients/<str:patient_id>/sessions/", include("ketacare.treatments.urls")),
    path(
        "patients/<str:patient_id>/sessions/<int:session_id>/rems/",
        include("ketacare.treatments.urls_rems"),
    ),
    path("patients/<str:patient_id>/safety/", include("ketacare.safety.urls_patient")),
    path("patients/<str:patient_id>/crisis/", include("ketacare.safety.urls_crisis")),
    path("patients/<str:patient_id>/aftercare/", include("ketacare.aftercare.urls_patient")),
    path("patients/", include("ketacare.patients.urls")),
    path("protocols/", include("ketacare.plans.urls_clinic")),
    path("reviews/", include("ketacare.plans.urls_reviews")),
    path("schedule/", include("ketacare.scheduling.urls")),
    path("chairs/", include("ketacare.treatments.urls_clinic")),
    path("a/", include("ketacare.scheduling.urls_public")),
    path("r/", include("ketacare.measures.urls_public")),
    path("measures/", include("ketacare.measures.urls_clinic")),
    path("evaluations/", include("ketacare.evaluations.urls_clinic")),
    path("c/", include("ketacare.intake.urls_public")),
    path("intake/", include("ketacare.intake.urls")),
    path("sp/", include("ketacare.safety.urls_public")),
    path("api/v1/", api.urls),
    path("fhir/", include("ketacare.fhir.urls")),
    path("rems-forms/", include("ketacare.treatments.urls_rems_clinic")),
    path("safety/", include("ketacare.safety.urls")),
    path("aftercare/", include("ketacare.aftercare.urls")),
    path("portal/habits/", include("ketacare.aftercare.urls_portal")),
    path("portal/safety-plan/", include("ketacare.safety.urls_portal")),
    path("portal/", include("ketacare.portal.urls")),
    path("patients/<str:patient_id>/portal/", include("ketacare.portal.urls_staff")),
    path("inbox/", include("ketacare.portal.urls_inbox")),
    path("articles/", include("ketacare.portal.urls_articles")),
]

handler403 = "ketacare.core.views.forbidden"
handler404 = "ketacare.core.views.not_found"
handler500 = "ketacare.core.views.server_error"
