from django.urls import path

from . import views

app_name = "comments"

urlpatterns = [
    path("post/<int:article_id>/", views.post, name="post"),
    path("code/new", views.code_new, name="code_new"),
    path("code/<str:token>.png", views.code_image, name="code_image"),
    path("challenge/<int:article_id>/", views.proof_challenge, name="proof_challenge"),
    path("moderate/<str:token>/", views.moderate, name="moderate"),
    path("confirm/<str:token>/", views.confirm_address, name="confirm_email"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<int:pk>/report/", views.report, name="report"),
]
