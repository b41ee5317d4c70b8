"""Photos people upload (destruction, proof of pickup): only real images of a few kinds are kept."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import error_codes
from .errors import ApplicationError

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def check_photo(photo, *, stem: str, field: str = "photo") -> None:
    """Refuse anything but a JPEG, PNG, WebP or GIF of at most 10 MB, whatever its name or type says.

    The file is opened and verified by Pillow; a good one is renamed ``stem.<its real
    extension>``, so a stored name never carries what the uploader called it.
    """
    from PIL import Image, UnidentifiedImageError

    if photo.size > PHOTO_MAX_BYTES:
        raise ApplicationError(error_codes.INVALID_INPUT, _("The photo is larger than 10 MB."), field=field)
    try:
        with Image.open(photo) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in PHOTO_FORMATS:
        raise ApplicationError(
            error_codes.INVALID_INPUT, _("The photo is not a JPEG, PNG, WebP or GIF image."), field=field
        )
    photo.seek(0)
    photo.name = f"{stem}.{PHOTO_FORMATS[kind]}"
