from django.urls import path

from . import views

app_name = "portability"

urlpatterns = [
    path("c/<slug:slug>/exports/", views.exports_page, name="exports"),
    path("c/<slug:slug>/exports/<slug:what>.<slug:fmt>", views.export_download, name="export"),
    path("c/<slug:slug>/leave/", views.leave, name="leave"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/data/export.json", views.my_export, name="my_export"),
    path("me/data/delete/", views.my_delete, name="my_delete"),
]
