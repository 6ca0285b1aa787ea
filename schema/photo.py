"""The GraphQL type of a photo attached to an order or an opinion (uploads themselves are strawberry's `Upload`)."""

from __future__ import annotations

import strawberry

from jinlin import photos
from jinlin.settings import Settings
from models import photo as photo_model


@strawberry.type(description="A photo of an order or opinion (JPEG, PNG or WebP). `url` is relative to the API's "
                             "origin (`/photos/<sha256>.<ext>?exp=…&sig=…`), signed and valid for at least "
                             "JINLIN_PHOTO_URL_TTL seconds (an hour by default); ask again for a fresh one.")
class Photo:
    url: str = strawberry.field(description="GET it (no Authorization header needed) until it expires; 403 after.")
    width: int = strawberry.field(description="Pixels, as the file's header says (EXIF rotation not applied).")
    height: int
    content_type: str = strawberry.field(description="image/jpeg, image/png or image/webp.")

    @classmethod
    def from_model(cls, row: photo_model.Photo, settings: Settings) -> Photo:
        return cls(url=photos.url(settings, row.name), width=row.width, height=row.height,
                   content_type=row.content_type)
