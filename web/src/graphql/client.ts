import { Client, cacheExchange, fetchExchange, subscriptionExchange, type CombinedError, type Exchange } from '@urql/core'
import { authExchange } from '@urql/exchange-auth'
import { persistedExchange } from '@urql/exchange-persisted'
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws'
import { session } from '../auth/session'
import { acceptLanguage } from '../i18n'
import { RefreshTokenDocument } from '../gql/graphql'
import { idempotencyExchange, languageExchange, newIdempotencyKey, persistedMissAsPostExchange } from './exchanges'

export interface ClientOptions {
  /** HTTP endpoint; default `/graphql` on the page's origin (the API serves the app). */
  url?: string
  /** WebSocket endpoint; default ws(s)://<host>/graphql. */
  wsUrl?: string
  fetch?: typeof fetch
  /** Turn subscriptions off (tests). */
  subscriptions?: boolean
  /** Called when the session cannot be refreshed any more (send the user to the login page). */
  onSessionExpired?: () => void
  makeIdempotencyKey?: () => string
}

export const isUnauthenticated = (error: CombinedError | undefined): boolean =>
  !!error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')

function defaultWsUrl(): string {
  const { protocol, host } = globalThis.location
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/graphql`
}

/** The websocket: lazy, reconnecting, reading the current token on each (re)connect. */
function createWs(url: string): WsClient {
  let socket: WebSocket | null = null
  const ws = createWsClient({
    url,
    lazy: true,
    retryAttempts: Infinity,
    connectionParams: () => (session.accessToken ? { Authorization: `Bearer ${session.accessToken}` } : {}),
    on: {
      connected: (s) => {
        socket = s as WebSocket
      },
      closed: () => {
        socket = null
      },
    },
  })
  // A new token (refresh, login, logout): reconnect so the server sees it; graphql-ws resubscribes.
  session.onChange(() => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.close(4205, 'token changed')
  })
  return ws
}

let refreshing: Promise<boolean> | null = null

export function createJinlinClient(options: ClientOptions = {}): Client {
  const makeKey = options.makeIdempotencyKey ?? newIdempotencyKey
  const exchanges: Exchange[] = [
    cacheExchange,
    idempotencyExchange(makeKey),
    languageExchange(acceptLanguage),
    persistedExchange({ preferGetForPersistedQueries: true }),
    persistedMissAsPostExchange,
    authExchange(async (utils) => ({
      addAuthToOperation(operation) {
        const token = session.accessToken
        // The refresh itself goes without the (expired) access token: the refresh token is the credential.
        return token && !operation.context.skipAuth ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation
      },
      willAuthError(operation) {
        if (operation.context.skipAuth) return false
        // Refresh shortly before the access token (15 min) runs out instead of paying for a failed request.
        const ttl = session.accessTokenTtl()
        return ttl !== null && ttl < 10 && !!session.refreshToken
      },
      didAuthError(error) {
        return isUnauthenticated(error)
      },
      async refreshAuth() {
        const refreshToken = session.refreshToken
        if (!refreshToken) {
          if (session.accessToken) session.clear()
          options.onSessionExpired?.()
          return
        }
        // One refresh at a time: the refresh token is spent by its first use.
        refreshing ??= utils
          .mutate(
            RefreshTokenDocument,
            { input: { refreshToken } },
            // authExchange sends this past the exchanges above it: add their headers here.
            {
              skipAuth: true,
              requestPolicy: 'network-only',
              fetchOptions: { headers: { 'Idempotency-Key': makeKey(), 'Accept-Language': acceptLanguage() } },
            },
          )
          .then((result) => {
            const payload = result.data?.refreshToken
            if (payload?.accessToken && payload.refreshToken && payload.errors.length === 0) {
              session.setTokens(payload.accessToken, payload.refreshToken)
              return true
            }
            return false
          })
          .catch(() => false)
          .finally(() => {
            refreshing = null
          })
        if (!(await refreshing)) {
          session.clear()
          options.onSessionExpired?.()
        }
      },
    })),
  ]
  if (options.subscriptions !== false) {
    const ws = createWs(options.wsUrl ?? defaultWsUrl())
    exchanges.push(
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' }
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink)
              return { unsubscribe }
            },
          }
        },
      }),
    )
  }
  exchanges.push(fetchExchange)
  return new Client({
    url: options.url ?? '/graphql',
    exchanges,
    fetch: options.fetch,
    requestPolicy: 'cache-and-network',
  })
}
