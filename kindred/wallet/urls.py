from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    path("wallet/", views.home, name="home"),
    path("wallet/topup/", views.topup, name="topup"),
    path("wallet/withdraw/", views.withdraw, name="withdraw"),
    path("c/<slug:slug>/envelopes/", views.circle_envelopes, name="circle"),
    path("c/<slug:slug>/envelopes/send/", views.send, name="send"),
    path("c/<slug:slug>/envelopes/settings/", views.circle_settings, name="settings"),
    path("c/<slug:slug>/envelopes/greetings/<int:member_id>/waive/", views.waive, name="waive"),
    path("c/<slug:slug>/envelopes/<int:envelope_id>/", views.envelope, name="envelope"),
    path("c/<slug:slug>/envelopes/<int:envelope_id>/grab/", views.grab, name="grab"),
]
