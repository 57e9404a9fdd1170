from django.urls import path

from . import views

app_name = "circles"

urlpatterns = [
    path("", views.home, name="home"),
    path("circles/new/", views.create, name="create"),
    path("c/<slug:slug>/about/", views.detail, name="about"),
    path("c/<slug:slug>/settings/", views.settings, name="settings"),
    path("c/<slug:slug>/members/", views.directory, name="directory"),
    path("c/<slug:slug>/members/<int:member_id>/", views.member, name="member"),
    path(
        "c/<slug:slug>/members/<int:member_id>/note/",
        views.member_action,
        {"action": "note"},
        name="member_note",
    ),
    path(
        "c/<slug:slug>/members/<int:member_id>/role/",
        views.member_action,
        {"action": "role"},
        name="member_role",
    ),
    path(
        "c/<slug:slug>/members/<int:member_id>/remove/",
        views.member_action,
        {"action": "remove"},
        name="member_remove",
    ),
    path("c/<slug:slug>/me/card/", views.card_edit, name="card_edit"),
]
