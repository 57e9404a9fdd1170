from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("c/<slug:slug>/inbox/", views.inbox, name="inbox"),
    path("c/<slug:slug>/inbox/read/", views.mark_read, name="read"),
    path("c/<slug:slug>/inbox/mail/", views.mail_preference, name="mail"),
]
