from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("c/<slug:slug>/matches/", views.matches, name="matches"),
    path("c/<slug:slug>/intros/", views.intros, name="intros"),
    path("c/<slug:slug>/intros/request/", views.intro_request, name="intro_request"),
    path("c/<slug:slug>/intros/propose/", views.intro_propose, name="intro_propose"),
    path("c/<slug:slug>/intros/<int:intro_id>/approve/", views.intro_approve, name="intro_approve"),
    path("c/<slug:slug>/intros/<int:intro_id>/accept/", views.intro_accept, name="intro_accept"),
    path("c/<slug:slug>/intros/<int:intro_id>/decline/", views.intro_decline, name="intro_decline"),
    path("c/<slug:slug>/intros/<int:intro_id>/withdraw/", views.intro_withdraw, name="intro_withdraw"),
    path(
        "c/<slug:slug>/intros/<int:intro_id>/withdraw/confirm/",
        views.intro_withdraw_confirm,
        name="intro_withdraw_confirm",
    ),
    path("c/<slug:slug>/contacts/", views.contacts, name="contacts"),
    path(
        "c/<slug:slug>/members/<int:member_id>/invite-suggestions/",
        views.invite_suggestions,
        name="invite_suggestions",
    ),
    path(
        "c/<slug:slug>/contacts/<int:contact_id>/nominate/", views.contact_nominate, name="contact_nominate"
    ),
]
