from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView

from firstmile import health
from firstmile.api.api import urlpatterns as api_urls

admin.site.site_header = "Firstmile"
admin.site.site_title = gettext_lazy("Firstmile admin")

handler403 = "firstmile.portals.views.forbidden"
handler404 = "firstmile.portals.views.not_found"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico on pages that name no icon (the API docs, the admin).
    path("favicon.ico", RedirectView.as_view(url=static("portals/favicon.svg"), permanent=True)),
    path("", include("firstmile.portals.urls")),
]
