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
