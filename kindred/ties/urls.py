from django.urls import path

from . import views

app_name = "ties"

urlpatterns = [
    path("c/<slug:slug>/ties/", views.tie_list, name="list"),
    path("c/<slug:slug>/ties/declare/", views.declare, name="declare"),
    path("c/<slug:slug>/ties/<int:tie_id>/confirm/", views.confirm, name="confirm"),
    path("c/<slug:slug>/ties/<int:tie_id>/ignore/", views.ignore, name="ignore"),
]
