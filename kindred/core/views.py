from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


def hello(request: HttpRequest) -> HttpResponse:
    """The benchmarks' baseline: the cheapest response the full middleware stack can give."""
    return HttpResponse("hello", content_type="text/plain")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
