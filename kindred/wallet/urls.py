from django.urls import URLPattern

app_name = "wallet"

urlpatterns: list[URLPattern] = []
