"""The baseline's two routes: a write (one INSERT in atomic()) and a read (one query and a template)."""

from __future__ import annotations

import json

from bare.models import Note
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def write(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body or b"{}")
    with transaction.atomic():
        note = Note.objects.create(key=str(body.get("idempotency_key", ""))[:64], at=timezone.now())
    return JsonResponse({"id": note.pk}, status=201)


def read(request: HttpRequest) -> HttpResponse:
    return render(request, "bare/notes.html", {"notes": list(Note.objects.order_by("-id")[:20])})


urlpatterns = [path("write", write), path("read", read)]
