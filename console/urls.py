"""The console's pages: sign-in, overview, access (sub-accounts and keys), the operators' account
pages and signed file links. Mounted by config/urls.py in the ``console`` namespace."""

from django.contrib.auth.views import LogoutView
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from console import health, media, mfa_views, views

urlpatterns = [
    # GET / (POST / is the API: config/urls.py routes it first and hands everything else here).
    path("", views.home, name="home"),
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("security/mfa/", mfa_views.security, name="mfa_security"),
    path("security/mfa/setup/", mfa_views.setup, name="mfa_setup"),
    path("security/mfa/verify/", mfa_views.verify, name="mfa_verify"),
    path("security/mfa/codes/", mfa_views.codes_regenerate, name="mfa_codes"),
    path("security/mfa/off/", mfa_views.turn_off, name="mfa_off"),
    path("overview/", views.overview, name="overview"),
    path("access/", views.access, name="access"),
    path("access/members/new/", views.member_create, name="member_create"),
    path("access/members/<int:member_id>/", views.member_edit, name="member_edit"),
    path("access/members/<int:member_id>/password/", views.member_password, name="member_password"),
    path("access/members/<int:member_id>/status/", views.member_set_active, name="member_set_active"),
    path("access/members/<int:member_id>/delete/", views.member_delete, name="member_delete"),
    path("access/keys/new/", views.credential_create, name="credential_create"),
    path("access/keys/<int:credential_id>/status/", views.credential_set_status, name="credential_set_status"),
    path("access/keys/<int:credential_id>/delete/", views.credential_delete, name="credential_delete"),
    path("ops/accounts/", views.operator_accounts, name="operator_accounts"),
    path("ops/accounts/<int:account_id>/", views.operator_account_detail, name="operator_account_detail"),
    path("ops/accounts/<int:account_id>/status/", views.operator_account_status, name="operator_account_status"),
    path("ops/accounts/<int:account_id>/logins/<int:member_id>/unlock/", views.operator_login_unlock,
         name="operator_login_unlock"),
    path("ops/accounts/<int:account_id>/logins/<int:member_id>/mfa-reset/", views.operator_mfa_reset,
         name="operator_mfa_reset"),
    path("files/<str:token>/", media.serve_signed_media, name="signed_media"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="jsi18n"),
    path("healthz/", health.healthz, name="healthz"),
    path("healthz/ready/", health.readiness, name="readiness"),
]
