from django.urls import path

from fusion import ultra_views, views

app_name = "fusion"

urlpatterns = [
    path("", views.test_effect, name="test_effect"),
    path("ultra/", ultra_views.test_effect_ultra, name="test_effect_ultra"),
    path("materials/<str:model_id>/run/", views.test_effect_run, name="test_effect_run"),
    path("jobs/<str:job_id>/", views.test_effect_job, name="test_effect_job"),
    path("jobs/<str:job_id>/status/", views.test_effect_job_status, name="test_effect_job_status"),
]
