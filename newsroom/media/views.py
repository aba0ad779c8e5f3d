"""Serving renditions from our own origin, made on first request.

Under ``make run`` (granian, no nginx) this view serves ``/media/r/...``; in
deployment nginx serves the files that exist under var/media/ and passes
only a missing one here (docs/operations.md). Originals are never served.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.views.decorators.http import require_safe

from .models import Image
from .renditions import (
    EXTENSIONS,
    NAME_RE,
    SPECS,
    DamagedOriginal,
    ensure,
    storage_name,
)

log = logging.getLogger(__name__)

FOREVER = "public, max-age=31536000, immutable"


@require_safe
def rendition(request: HttpRequest, name: str):
    match = NAME_RE.match(name)
    spec = SPECS.get(match["spec"]) if match else None
    if spec is None or spec.is_crop != bool(match["focal"]):
        raise Http404("No such picture")
    image = Image.objects.filter(key=match["key"]).first()
    if image is None:
        raise Http404("No such picture")
    if spec.is_crop and match["focal"] != image.focal_code:
        # The editor moved the focal point since this name was handed out:
        # the current crop, not a new one per stranger-chosen point.
        current = storage_name(image, spec, match["ext"])
        response = HttpResponseRedirect(settings.MEDIA_URL + current)
        response["Cache-Control"] = "public, max-age=300"
        return response
    try:
        stored = ensure(image, spec, match["ext"])
    except (Image.DoesNotExist, FileNotFoundError):
        # Deleted since it was looked up (its original already removed, or
        # what this request made removed with it).
        raise Http404("No such picture") from None
    except DamagedOriginal as exc:
        # Only this picture is lost, not a 500 on each request: the operator
        # restores the file (docs/media.md), and the next request makes it.
        log.error(
            "picture %s: its original %s no longer decodes (%s); restore it "
            "from a backup or delete the picture",
            image.key,
            image.file.name,
            exc,
        )
        response = HttpResponseNotFound("Picture unavailable")
        response["Cache-Control"] = "no-store"
        return response
    try:
        opened = default_storage.open(stored, "rb")
    except FileNotFoundError:
        # The picture's deletion removed it after it was made or found.
        raise Http404("No such picture") from None
    response = FileResponse(opened, content_type=EXTENSIONS[match["ext"]][1])
    response["Cache-Control"] = FOREVER
    response["X-Content-Type-Options"] = "nosniff"
    return response
