from django.urls import path

from . import views

app_name = "shares"

urlpatterns = [
    path("copy/<str:ref>/", views.copy_link, name="copy"),
    path("<slug:network>/<str:ref>/", views.share, name="share"),
]
