from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "newsroom.web"
    label = "web"
    verbose_name = "Web pages"
