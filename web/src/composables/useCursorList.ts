import { ref, shallowRef } from 'vue'
import type { CombinedError } from '@urql/core'
import { errorMessage, networkMessage } from '../graphql/errors'

export interface Page<T> {
  items: T[]
  hasNextPage: boolean
  endCursor: string | null | undefined
  totalCount?: number
}

/**
 * A list paged with connection cursors, for van-list's infinite scroll: `load()` fetches the page after the last
 * cursor and appends it; `reset()` starts again from the top (pull to refresh).
 */
export function useCursorList<T extends { id: string }>(
  fetchPage: (after: string | undefined) => Promise<{ page?: Page<T> | null; error?: CombinedError }>,
) {
  const items = shallowRef<T[]>([])
  const loading = ref(false)
  const finished = ref(false)
  const error = ref<string | null>(null)
  const totalCount = ref<number | null>(null)
  let cursor: string | undefined
  let generation = 0

  async function load() {
    if (finished.value || loading.value) return
    const mine = generation
    loading.value = true
    error.value = null
    try {
      const { page, error: failure } = await fetchPage(cursor)
      if (mine !== generation) return // a reset happened meanwhile
      if (failure || !page) {
        error.value = errorMessage(failure) ?? networkMessage()
        return
      }
      // Keyset cursors never repeat rows, but an id seen twice (a refetch racing) is dropped anyway.
      const seen = new Set(items.value.map((i) => i.id))
      items.value = [...items.value, ...page.items.filter((i) => !seen.has(i.id))]
      cursor = page.endCursor ?? undefined
      finished.value = !page.hasNextPage
      if (page.totalCount !== undefined) totalCount.value = page.totalCount
    } catch {
      if (mine === generation) error.value = networkMessage()
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function reset() {
    generation++
    items.value = []
    cursor = undefined
    finished.value = false
    error.value = null
    loading.value = false
    await load()
  }

  /** Replace one row in place (after a claim or withdrawal answered with the fresh object). */
  function replace(item: T) {
    items.value = items.value.map((i) => (i.id === item.id ? item : i))
  }

  return { items, loading, finished, error, totalCount, load, reset, replace }
}

export type CursorList<T extends { id: string }> = ReturnType<typeof useCursorList<T>>
