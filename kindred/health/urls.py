from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("c/<slug:slug>/health/", views.health_page, name="page"),
]
