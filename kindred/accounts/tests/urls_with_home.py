"""The project URLs plus a placeholder `circles:home`, used only until the circles app provides it."""

from django.http import HttpResponse
from django.urls import include, path

from kindred.urls import urlpatterns as project_urlpatterns

circles_stub = ([path("", lambda request: HttpResponse("home"), name="home")], "circles")

urlpatterns = [path("", include(circles_stub)), *project_urlpatterns]
