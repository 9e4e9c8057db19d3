from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<str:project_id>/", views.campaign_edit, name="edit"),
    path("<str:project_id>/version/", views.campaign_set_version, name="set_version"),
    path("<str:project_id>/degrees/", views.campaign_set_degrees, name="set_degrees"),
    path("<str:project_id>/status/", views.campaign_set_status, name="set_status"),
    path("<str:project_id>/delete/", views.campaign_delete, name="delete"),
]
