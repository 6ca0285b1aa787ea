import { describe, expect, it } from 'vitest'
import { Client, type Exchange, type Operation } from '@urql/core'
import { map, pipe } from 'wonka'
import { idempotencyExchange } from '../src/graphql/exchanges'
import { LoginDocument, MeDocument } from '../src/gql/graphql'
import { session } from '../src/auth/session'
import { mockFetch, testClient, UUID } from './helpers'

/** A terminating exchange that records the operations reaching it and answers with empty data. */
function recorder() {
  const seen: Operation[] = []
  const exchange: Exchange = () => (ops$) =>
    pipe(
      ops$,
      map((operation) => {
        seen.push(operation)
        return { operation, data: {}, stale: false, hasNext: false }
      }),
    )
  return { seen, exchange }
}

const headers = (op: Operation) => {
  const opts = op.context.fetchOptions
  return ((typeof opts === 'function' ? opts() : opts)?.headers ?? {}) as Record<string, string>
}

describe('idempotencyExchange', () => {
  it('adds a fresh Idempotency-Key to every mutation and none to queries', async () => {
    const { seen, exchange } = recorder()
    const client = new Client({ url: '/graphql', exchanges: [idempotencyExchange(), exchange] })
    const vars = { input: { phone: '13800000004', password: 'x' } }
    await client.mutation(LoginDocument, vars).toPromise()
    await client.mutation(LoginDocument, vars).toPromise()
    await client.query(MeDocument, {}).toPromise()

    const [m1, m2, q] = seen
    expect(headers(m1)['Idempotency-Key']).toMatch(UUID)
    expect(headers(m2)['Idempotency-Key']).toMatch(UUID)
    expect(headers(m1)['Idempotency-Key']).not.toBe(headers(m2)['Idempotency-Key']) // same variables, new key
    expect(headers(q)['Idempotency-Key']).toBeUndefined()
  })

  it('keeps a key the operation already carries (a retry stays the same request)', async () => {
    const { seen, exchange } = recorder()
    const client = new Client({ url: '/graphql', exchanges: [idempotencyExchange(() => 'new-key'), exchange] })
    await client
      .mutation(
        LoginDocument,
        { input: { phone: '1', password: '2' } },
        { fetchOptions: { headers: { 'Idempotency-Key': 'first-attempt', 'X-Other': 'kept' } } },
      )
      .toPromise()
    await client.mutation(LoginDocument, { input: { phone: '1', password: '2' } }).toPromise()
    expect(headers(seen[0])['Idempotency-Key']).toBe('first-attempt')
    expect(headers(seen[0])['X-Other']).toBe('kept')
    expect(headers(seen[1])['Idempotency-Key']).toBe('new-key')
  })
})

describe('the app client on the wire', () => {
  it('sends queries as hash-only GETs and registers an unknown hash with a POST', async () => {
    let known = false
    const { fetch, sent } = mockFetch((req) => {
      if (!known && !req.body.query) {
        return { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] }
      }
      known = true
      return { data: { viewer: null } }
    })
    const client = testClient(fetch)
    const result = await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise()
    expect(result.error).toBeUndefined()
    expect(sent.map((r) => r.method)).toEqual(['GET', 'POST'])
    expect(sent[0].url.searchParams.get('query')).toBeNull()
    expect(sent[1].body.query).toContain('query Me')
    expect(sent[1].body.extensions.persistedQuery.sha256Hash).toBe(sent[0].body.extensions.persistedQuery.sha256Hash)
    expect(sent[1].headers['idempotency-key']).toBeUndefined()

    await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise()
    expect(sent[2].method).toBe('GET')
  })

  it('refreshes the token once on UNAUTHENTICATED and retries the request with the new one', async () => {
    session.signIn({ accessToken: 'old-access', refreshToken: 'refresh-1' })
    const { fetch, sent } = mockFetch((req) => {
      if (req.body.operationName === 'RefreshToken') {
        return {
          data: {
            refreshToken: {
              __typename: 'AuthPayload',
              accessToken: 'new-access',
              refreshToken: 'refresh-2',
              errors: [],
            },
          },
        }
      }
      if (req.headers.authorization === 'Bearer old-access') {
        return { data: null, errors: [{ message: '请先登录', extensions: { code: 'UNAUTHENTICATED' } }] }
      }
      return { data: { viewer: { __typename: 'User', id: 'VXNlcjo1', displayName: '林' } } }
    })
    const client = testClient(fetch)
    const result = await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise()
    // The first answer is the error; the retried operation answers next.
    const final = result.error
      ? await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise()
      : result
    expect(final.error).toBeUndefined()
    const refresh = sent.find((r) => r.body.operationName === 'RefreshToken')!
    expect(refresh.body.variables).toEqual({ input: { refreshToken: 'refresh-1' } })
    expect(refresh.headers['idempotency-key']).toMatch(UUID)
    expect(refresh.headers.authorization).toBeUndefined()
    expect(session.accessToken).toBe('new-access')
    expect(session.refreshToken).toBe('refresh-2')
    expect(sent.at(-1)!.headers.authorization).toBe('Bearer new-access')
    expect(sent.filter((r) => r.body.operationName === 'RefreshToken')).toHaveLength(1)
  })
})
