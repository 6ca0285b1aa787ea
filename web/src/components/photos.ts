import type { UploaderFileListItem } from 'vant'

/** The server's limits (README, "Upload photos"): up to 6 files of at most 5 MB each. */
export const MAX_PHOTOS = 6
export const MAX_PHOTO_BYTES = 5 * 1024 * 1024

/** The picked photos as `File`s for a mutation's `photos` (omitted when there are none: no multipart needed). */
export function photoFiles(items: readonly UploaderFileListItem[]): File[] | undefined {
  const files = items.map((i) => i.file).filter((f): f is File => !!f)
  return files.length ? files : undefined
}
