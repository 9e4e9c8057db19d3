"""Time-limited links to stored files, on either storage backend.

On S3 the link is the bucket's own pre-signed URL; on local files it is a signed token
for ``console:signed_media``, which checks the signature and the age before serving.
"""

import math
import mimetypes
import time

from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

_SALT = "ronghe.signed-media"


def uses_s3() -> bool:
    return default_storage.__class__.__name__ == "S3Storage"


def signed_media_url(name: str, *, expires_in: int, download_name: str | None = None) -> str:
    """A link to the stored file ``name`` that stops working after ``expires_in`` seconds."""
    if uses_s3():
        params = {}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        # S3Storage.url takes the presigning arguments; the Storage type Django declares does not.
        return default_storage.url(name, parameters=params or None, expire=expires_in)  # type: ignore[call-arg]
    # The deadline, rounded up: signing's own timestamp is truncated to the second, so a
    # max_age check would make a 1-second link already stale some of the time.
    deadline = math.ceil(time.time() + expires_in)
    token = signing.dumps({"n": name, "x": deadline, "d": download_name or ""}, salt=_SALT, compress=True)
    return reverse("console:signed_media", args=[token])


def serve_signed_media(request: HttpRequest, token: str) -> FileResponse:
    try:
        payload = signing.loads(token, salt=_SALT)
        name, deadline = payload["n"], int(payload["x"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise Http404 from exc
    if time.time() > deadline:
        raise Http404
    if not default_storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type,
                            as_attachment=bool(payload["d"]), filename=payload["d"] or "")
    # Never cached beyond the link's own life.
    response["Cache-Control"] = f"private, max-age={max(0, min(300, int(deadline - time.time())))}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
