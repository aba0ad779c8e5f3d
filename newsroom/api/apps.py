from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "newsroom.api"
    label = "api"
