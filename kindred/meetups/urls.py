from django.urls import URLPattern

app_name = "meetups"

urlpatterns: list[URLPattern] = []
