"""Self-service pages. config/urls.py mounts them in the ``console`` namespace, beside the console's own."""

from django.urls import path

from selfservice import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup_done"),
    path("verify/resend/", views.verify_resend, name="verify_resend"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/complete/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("activate/", views.activate, name="activate"),
    path("profile/", views.profile, name="profile"),
    path("filing/", views.filing, name="filing"),
    path("ops/signup/", views.ops_signup, name="ops_signup"),
    path("ops/signup/invitations/<int:invitation_id>/revoke/", views.ops_invitation_revoke,
         name="ops_invitation_revoke"),
]
