import { i18n } from './i18n'

/** A DateTime (ISO-8601 with offset) in the interface's language, in the phone's time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return new Intl.DateTimeFormat(i18n.global.locale.value === 'en' ? 'en-GB' : 'zh-CN', {
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(date)
}

/** Integer fen as yuan: 12345 -> ¥123.45. */
export function formatFen(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return ''
  return `¥${(fen / 100).toFixed(2)}`
}

/**
 * A `datetime-local` input's value (`2030-05-01T09:30`, the phone's wall clock) as a DateTime with the phone's
 * offset (`2030-05-01T09:30:00+08:00`); '' or an unreadable value gives null.
 */
export function localInputToDateTime(value: string | null | undefined): string | null {
  if (!value) return null
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return null
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0')
  const offset = -date.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:00${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  )
}
