import { computed, ref } from 'vue'
import { useClientHandle } from '@urql/vue'
import { MyHouseholdsDocument } from '../gql/graphql'
import { errorMessage, networkMessage } from '../graphql/errors'

export interface CompoundChoice {
  id: string
  name: string
  /** The viewer's households there (castVote needs `householdId` when there are several). */
  households: { id: string; unit: string }[]
}

/**
 * The compounds a resident acts in: those of their households (`viewer.households`). The server takes orders and
 * votes only from residents of the compound, so earlier orders' compounds are not offered: a resident who moved
 * out would only be refused.
 */
export function useMyCompounds() {
  const { client } = useClientHandle()
  const compounds = ref<CompoundChoice[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)

  async function load() {
    error.value = null
    try {
      const result = await client.query(MyHouseholdsDocument, {}, { requestPolicy: 'network-only' }).toPromise()
      if (result.error) {
        error.value = errorMessage(result.error)
        return
      }
      const byId = new Map<string, CompoundChoice>()
      for (const h of result.data?.viewer?.households ?? []) {
        const c = byId.get(h.compound.id) ?? { id: h.compound.id, name: h.compound.name, households: [] }
        c.households.push({ id: h.id, unit: h.unit })
        byId.set(c.id, c)
      }
      compounds.value = [...byId.values()]
      loaded.value = true
    } catch {
      error.value = networkMessage()
    }
  }

  const byId = computed(() => new Map(compounds.value.map((c) => [c.id, c])))
  const columns = computed(() => compounds.value.map((c) => ({ text: c.name, value: c.id }))) // for a picker
  return { compounds, byId, columns, loaded, error, load }
}
