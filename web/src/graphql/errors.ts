import type { CombinedError } from '@urql/core'
import { showFailToast } from 'vant'
import { i18n } from '../i18n'

export interface UserErrorLike {
  code: string
  field?: readonly string[] | null
  message: string
}

/**
 * The server's own message for a failed request: its GraphQL errors (already in the language we asked for with
 * Accept-Language), else a network message of ours. Never the "[GraphQL]" prefix urql puts on `error.message`.
 */
export function errorMessage(error: CombinedError | undefined | null): string | null {
  if (!error) return null
  const messages = error.graphQLErrors.map((e) => e.message).filter(Boolean)
  if (messages.length) return messages.join('\n')
  return networkMessage()
}

export const networkMessage = (): string => i18n.global.t('common.networkError')

/** The first error of a mutation payload (`errors { code field message }`), or null when it succeeded. */
export function payloadMessage(errors: readonly UserErrorLike[] | undefined | null): string | null {
  return errors && errors.length ? errors.map((e) => e.message).join('\n') : null
}

/** Field errors keyed by the last element of `field` (the input's field name), for van-field's error-message. */
export function fieldErrors(errors: readonly UserErrorLike[] | undefined | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of errors ?? []) {
    const name = e.field?.[e.field.length - 1]
    if (name && !out[name]) out[name] = e.message
  }
  return out
}

/** Why a mutation failed: its request's error, else its payload's user errors; null when it did not. */
export function mutationFailure(
  error: CombinedError | undefined | null,
  payload: { errors: readonly UserErrorLike[] } | null | undefined,
): string | null {
  return error ? errorMessage(error) : payloadMessage(payload?.errors)
}

/** A failed action's message as a toast (server messages can be long: they wrap); none given is the network one. */
export function toastFailure(message: string | null): void {
  showFailToast({ message: message ?? networkMessage(), wordBreak: 'break-word' })
}
