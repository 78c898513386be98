from django.urls import include, path
from django.views.i18n import set_language

from mitmachen.api.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("", include("mitmachen.organisations.urls")),
    path("", include("mitmachen.people.urls")),
    path("", include("mitmachen.groups.urls")),
    path("", include("mitmachen.events.urls")),
    path("", include("mitmachen.messaging.urls")),
    path("", include("mitmachen.assemblies.urls")),
    path("", include("mitmachen.reports.urls")),
    path("", include("mitmachen.mentoring.urls")),
    path("", include("mitmachen.core.urls")),
]

handler404 = "mitmachen.core.views.error_404"
handler403 = "mitmachen.core.views.error_403"
handler500 = "mitmachen.core.views.error_500"
