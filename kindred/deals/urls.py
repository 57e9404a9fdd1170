from django.urls import path

from . import views

app_name = "deals"

urlpatterns = [
    path("c/<slug:slug>/deals/", views.deal_list, name="list"),
    path("c/<slug:slug>/deals/new/", views.deal_new, name="create"),
    path("c/<slug:slug>/deals/<int:deal_id>/", views.deal_detail, name="detail"),
    path("c/<slug:slug>/deals/<int:deal_id>/confirm/", views.deal_confirm, name="confirm"),
    path("c/<slug:slug>/deals/<int:deal_id>/stage/", views.deal_stage, name="stage"),
]
