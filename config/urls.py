"""Root URLs: the project package mounts every app's pages; no app includes another's."""

from django.conf import settings
from django.urls import include, path

from api import views as api_views
from console import urls as console_urls
from console.admin import operator_admin_site
from observability import views as observability_views
from selfservice import urls as selfservice_urls

urlpatterns = [
    # POST / is the cloud-compatible API (where the official SDKs send it); any other method is the
    # console's home page (console:home), to which api.views.root hands the request.
    path("", api_views.root),
    # Self-service pages (sign-up, activation, profile...) share the console's namespace: to a customer
    # they are one site, and their URL names (console:signup, console:activate) say so.
    path("", include((console_urls.urlpatterns + selfservice_urls.urlpatterns, "console"))),
    path("i18n/", include("django.conf.urls.i18n")),
    # Each product app owns its pages under its own prefix and URL namespace.
    path("campaigns/", include("campaigns.urls")),
    path("materials/", include("materials.urls")),
    path("test-effect/video/", include("video.urls")),
    path("test-effect/", include("fusion.urls")),
    path("billing/", include("billing.urls")),
    path("api/", include("api.urls")),
    # Prometheus' default path; off (404) unless METRICS_TOKEN is set.
    path("metrics", observability_views.metrics),
]

if settings.ADMIN_PATH:
    # The operators' read-only admin (console/admin.py), at the deployment's own path: off in
    # production until ADMIN_PATH is set.
    urlpatterns.append(path(settings.ADMIN_PATH, operator_admin_site.urls))

handler403 = "console.views.permission_denied"
