from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "mitmachen.reports"
    label = "reports"
    verbose_name = _("Reporting channel")

    def ready(self):
        from mitmachen.reports import signals  # noqa: F401
