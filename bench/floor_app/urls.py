from __future__ import annotations

import json

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from floor_app import risk_sketch
from floor_app.models import FloorReading


@csrf_exempt
def store(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    with transaction.atomic():
        reading = FloorReading.objects.create(
            session_id=body["s"],
            taken_at=timezone.now(),
            systolic=body["sbp"],
            diastolic=body["dbp"],
            heart_rate=body["hr"],
        )
    return JsonResponse({"id": reading.pk}, status=201)


def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("post/", store),
    path("ok/", ok),
    path("risk/<str:token>/", risk_sketch.submit),
]
