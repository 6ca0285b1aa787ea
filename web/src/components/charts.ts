/** Share of `value` in `total` as a percentage 0..100 (0 when the total is 0 or not a number). */
export function percent(value: number, total: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(total) || total <= 0) return 0
  return Math.max(0, Math.min(100, (value / total) * 100))
}

export interface Bar {
  label: string
  value: number
  /** The bar's full width; defaults to the largest value among the bars. */
  total?: number
  /** Text shown after the bar (defaults to the value). */
  text?: string
}
