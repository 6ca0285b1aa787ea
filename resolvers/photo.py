"""Photos in mutation inputs (`photos: [Upload!]` of placeOrder and submitOpinion): checked along with the rest of
the input, stored on disk only once all of it is valid, then attached to the new row in its transaction."""

from __future__ import annotations

from jinlin import photos
from models.photo import MAX_PHOTOS, PhotoFile
from schema.context import Context
from schema.errors import ErrorCode, UserError, user_error


async def check_photos(ctx: Context, errors: list[UserError], uploads: list[object] | None) -> list[photos.Checked]:
    """The uploads that are photos, or INVALID on `photos` (too many) or on `photos.<index>` (not an image, too big)."""
    if not uploads:
        return []
    if len(uploads) > MAX_PHOTOS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["photos"], "photo_count", max=MAX_PHOTOS))
        return []
    checked = []
    for index, upload in enumerate(uploads):
        result = await photos.check(upload)
        if isinstance(result, str):
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["photos", str(index)], result,
                                     mb=photos.MAX_BYTES // (1024 * 1024)))
        else:
            checked.append(result)
    return checked


async def store_photos(ctx: Context, checked: list[photos.Checked]) -> list[PhotoFile]:
    """Keep the checked photos on disk (before the row that names them is written), in upload order."""
    return [await photos.store(ctx.settings, item) for item in checked]
