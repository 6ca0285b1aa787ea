import { makeOperation, type Exchange, type Operation } from '@urql/core'
import { map, pipe } from 'wonka'

/** Merge headers into an operation's fetchOptions (an object or a function of none). */
export function withHeaders(operation: Operation, headers: Record<string, string>): Operation {
  const prev = operation.context.fetchOptions
  const base = typeof prev === 'function' ? prev() : prev || {}
  return makeOperation(operation.kind, operation, {
    ...operation.context,
    fetchOptions: { ...base, headers: { ...(base.headers as Record<string, string> | undefined), ...headers } },
  })
}

function headerOf(operation: Operation, name: string): string | undefined {
  const opts = operation.context.fetchOptions
  const headers = (typeof opts === 'function' ? opts() : opts)?.headers as Record<string, string> | undefined
  return headers?.[name]
}

export const newIdempotencyKey = (): string => globalThis.crypto.randomUUID()

/**
 * A fresh `Idempotency-Key` on every mutation the app executes. The key lives in the operation's context, so
 * the same operation re-sent by an exchange further down (authExchange after a token refresh) keeps its key and
 * the server replays instead of acting twice; a new tap on "claim" is a new operation and gets a new key.
 */
export const idempotencyExchange = (makeKey: () => string = newIdempotencyKey): Exchange =>
  ({ forward }) =>
  (operations$) =>
    forward(
      pipe(
        operations$,
        map((operation) =>
          operation.kind === 'mutation' && !headerOf(operation, 'Idempotency-Key')
            ? withHeaders(operation, { 'Idempotency-Key': makeKey() })
            : operation,
        ),
      ),
    )

/**
 * persistedExchange asks for GET on every query; when the server does not know the hash yet, the retry carries the
 * document and must be a POST (the server registers persisted queries from POST only, as Apollo's link does).
 */
export const persistedMissAsPostExchange: Exchange = ({ forward }) => (operations$) =>
  forward(
    pipe(
      operations$,
      map((operation) =>
        operation.extensions?.persistedQuery?.miss && operation.context.preferGetMethod
          ? makeOperation(operation.kind, operation, { ...operation.context, preferGetMethod: false })
          : operation,
      ),
    ),
  )

/** Accept-Language on every request, so that the server's messages follow the app's language. */
export const languageExchange = (language: () => string): Exchange => ({ forward }) => (operations$) =>
  forward(pipe(operations$, map((operation) => withHeaders(operation, { 'Accept-Language': language() }))))
