from django.urls import path

from materials import operator_views, views

app_name = "materials"

urlpatterns = [
    path("", views.material_list, name="list"),
    path("upload/", views.material_upload, name="upload"),
    path("quota/", views.quota, name="quota"),
    path("review/", operator_views.review_queue, name="review_queue"),
    path("review/reasons/", operator_views.reason_add, name="reason_add"),
    path("review/reasons/<int:template_id>/delete/", operator_views.reason_delete, name="reason_delete"),
    path("review/gallery/", operator_views.gallery, name="gallery"),
    path("review/gallery/bulk/", operator_views.gallery_bulk, name="gallery_bulk"),
    path("review/gallery/<int:figure_id>/photos/", operator_views.gallery_photo_add, name="gallery_photo_add"),
    path("review/gallery/<int:figure_id>/delete/", operator_views.gallery_delete, name="gallery_delete"),
    path("review/protected/", operator_views.protected, name="protected"),
    path("review/protected/<int:item_id>/delete/", operator_views.protected_delete, name="protected_delete"),
    path("review/<str:model_id>/", operator_views.operator_material, name="ops_detail"),
    path("review/<str:model_id>/decide/", operator_views.review_decide, name="review_decide"),
    path("<str:model_id>/", views.material_detail, name="detail"),
    path("<str:model_id>/status/", views.material_status, name="status"),
    path("<str:model_id>/rename/", views.material_rename, name="rename"),
    path("<str:model_id>/degrees/", views.material_degrees, name="degrees"),
    path("<str:model_id>/appeal/", views.material_appeal, name="appeal"),
    path("<str:model_id>/delete/", views.material_delete, name="delete"),
    path("<str:model_id>/proofs/", views.proof_upload, name="proof_upload"),
    path("<str:model_id>/proofs/template/", views.proof_template, name="proof_template"),
    path("<str:model_id>/proofs/<str:proof_id>/", views.proof_download, name="proof_download"),
]
