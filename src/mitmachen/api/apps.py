from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mitmachen.api"
    label = "api"
