import { ref } from 'vue'
import type { CombinedError } from '@urql/core'
import { errorMessage, fieldErrors, payloadMessage, type UserErrorLike } from '../graphql/errors'

/** What every mutation payload has: the user errors that refused it (its object is on a key of its own). */
export type Payload = { errors: readonly UserErrorLike[] }

/**
 * A form's answer from the server, shared by every form that sends one mutation: a message above the submit
 * button (`serverError`) and messages under the fields (`fields`, for van-field's error-message).
 */
export function useFormErrors() {
  const serverError = ref<string | null>(null)
  const fields = ref<Record<string, string>>({})

  /** Forget the last answer (a new submit). */
  function clear() {
    serverError.value = null
    fields.value = {}
  }

  /**
   * True when the mutation succeeded: no request error, no user errors and the payload's `key` is set; else shows
   * why. A bad photo is on ["photos", "<index>"]: its message goes under the photos.
   */
  function accepted<P extends Payload, K extends keyof P>(
    error: CombinedError | undefined,
    payload: P | null | undefined,
    key: K,
  ): payload is P & { [k in K]-?: NonNullable<P[K]> } {
    if (error || !payload) {
      serverError.value = errorMessage(error)
      return false
    }
    if (payload.errors.length || !payload[key]) {
      fields.value = fieldErrors(payload.errors)
      const photoError = payload.errors.find((e) => e.field?.[0] === 'photos')
      if (photoError) fields.value.photos = photoError.message
      serverError.value = payloadMessage(payload.errors)
      return false
    }
    return true
  }

  return { serverError, fields, clear, accepted }
}
