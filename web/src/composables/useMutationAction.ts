import { ref } from 'vue'
import type { AnyVariables, TypedDocumentNode } from '@urql/core'
import { useClientHandle } from '@urql/vue'
import { mutationFailure, toastFailure, type UserErrorLike } from '../graphql/errors'

/**
 * A button's mutation: `run` marks the action busy (its button shows loading) while it sends the mutation, then
 * resolves to the payload, or to null once it has toasted why it failed (the request's error or the user errors).
 */
export function useMutationAction() {
  const { client } = useClientHandle()
  /** The action under way (a name or a row's id), or null. */
  const busy = ref<string | null>(null)

  async function run<Data, Vars extends AnyVariables, P extends { errors: readonly UserErrorLike[] }>(
    name: string,
    mutation: TypedDocumentNode<Data, Vars>,
    variables: Vars,
    payloadOf: (data: Data) => P | null | undefined,
  ): Promise<P | null> {
    busy.value = name
    try {
      const result = await client.mutation(mutation, variables).toPromise()
      const payload = result.data ? payloadOf(result.data) : undefined
      const failure = mutationFailure(result.error, payload)
      if (failure || !payload) {
        toastFailure(failure)
        return null
      }
      return payload
    } finally {
      busy.value = null
    }
  }

  return { busy, run }
}
