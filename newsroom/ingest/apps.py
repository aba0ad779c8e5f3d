from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "newsroom.ingest"
    label = "ingest"
