from django.apps import AppConfig


class SharesConfig(AppConfig):
    name = "newsroom.shares"
    label = "shares"
