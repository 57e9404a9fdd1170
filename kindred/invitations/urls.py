from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    path("c/<slug:slug>/nominate/", views.nominate, name="nominate"),
    path(
        "c/<slug:slug>/nominate/<int:nomination_id>/withdraw/",
        views.nomination_withdraw,
        name="withdraw",
    ),
    path("c/<slug:slug>/review/", views.review, name="review"),
    path("c/<slug:slug>/review/<int:nomination_id>/approve/", views.review_approve, name="approve"),
    path("c/<slug:slug>/review/<int:nomination_id>/reject/", views.review_reject, name="reject"),
    path("c/<slug:slug>/review/invite/", views.invite_direct, name="direct"),
    path(
        "c/<slug:slug>/invitations/<int:invitation_id>/reissue/",
        views.invitation_reissue,
        name="reissue",
    ),
    path(
        "c/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="revoke",
    ),
    path("c/<slug:slug>/tree/", views.tree, name="tree"),
    path("c/<slug:slug>/tree/<int:member_id>/remove/", views.tree_remove, name="remove"),
    path("invite/<str:code>/", views.accept, name="accept"),
]
