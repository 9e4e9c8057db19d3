from django.urls import path

from video import views

app_name = "video"

urlpatterns = [
    path("", views.test_effect, name="test_effect"),
    path("materials/<str:model_id>/run/", views.test_effect_run, name="test_effect_run"),
    path("jobs/<str:job_pk>/", views.test_effect_job, name="test_effect_job"),
    path("jobs/<str:job_pk>/status/", views.test_effect_job_status, name="test_effect_job_status"),
]
