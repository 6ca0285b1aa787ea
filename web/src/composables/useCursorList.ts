import { ref, shallowRef, watch } from 'vue'
import type { AnyVariables, CombinedError, TypedDocumentNode } from '@urql/core'
import { useClientHandle } from '@urql/vue'
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

/** A connection as the schema pages it: `edges { node }` (or plain `nodes`), `pageInfo` and `totalCount`. */
export interface Connection<T> {
  edges?: readonly { node: T }[]
  nodes?: readonly T[]
  pageInfo: { hasNextPage: boolean; endCursor?: string | null }
  totalCount?: number
}

const PAGE_SIZE = 20
const NOTHING: Page<never> = { items: [], hasNextPage: false, endCursor: null, totalCount: 0 }

/**
 * useCursorList over one paged query, so each list screen names only its query, its own variables (null: nothing
 * to list yet, e.g. no org chosen) and where the connection sits in the data. Pages of 20, always from the network.
 */
export function useConnectionList<Data, Vars extends AnyVariables, T extends { id: string }>(
  query: TypedDocumentNode<Data, Vars>,
  variables: () => Omit<Vars, 'first' | 'after'> | null,
  select: (data: Data) => Connection<T> | null | undefined,
) {
  const { client } = useClientHandle()
  return useCursorList<T>(async (after) => {
    const own = variables()
    if (!own) return { page: NOTHING }
    const vars = { ...own, first: PAGE_SIZE, after } as unknown as Vars
    const result = await client.query(query, vars, { requestPolicy: 'network-only' }).toPromise()
    const conn = result.data ? select(result.data) : null
    return {
      error: result.error,
      page: conn && {
        items: conn.edges ? conn.edges.map((e) => e.node) : [...(conn.nodes ?? [])],
        hasNextPage: conn.pageInfo.hasNextPage,
        endCursor: conn.pageInfo.endCursor,
        totalCount: conn.totalCount,
      },
    }
  })
}

/**
 * A staff list of one managed org's objects (its query takes `orgId`): the org, bound to OrgSwitcher, and its list,
 * started again when the viewer picks another org. Empty while no org is known.
 */
export function useOrgList<Data, Vars extends AnyVariables & { orgId: string }, T extends { id: string }>(
  query: TypedDocumentNode<Data, Vars>,
  select: (data: Data) => Connection<T> | null | undefined,
) {
  const orgId = ref('')
  const own = () => (orgId.value ? ({ orgId: orgId.value } as Omit<Vars, 'first' | 'after'>) : null)
  const list = useConnectionList(query, own, select)
  watch(orgId, () => void list.reset())
  return { orgId, list }
}
