"""/rems-forms/: the clinic's REMS monitoring forms overdue and due within 7 days."""

from django.urls import path

from ketacare.treatments import views_rems

app_name = "rems_clinic"

urlpatterns = [path("", views_rems.clinic_list, name="list")]
