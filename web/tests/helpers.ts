import { vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import urql from '@urql/vue'
import { createJinlinClient } from '../src/graphql/client'
import { i18n } from '../src/i18n'

export interface Sent {
  method: string
  url: URL
  headers: Record<string, string>
  body: any
  /** A GraphQL multipart request's parts (`body` is then its parsed `operations`). */
  form?: FormData
}

type Answer = { status?: number; body: unknown }

/**
 * A fetch that records each request (method, URL, headers, JSON body; for a multipart request the parsed
 * `operations` part as the body and the FormData itself) and answers with `respond(request)`.
 */
export function mockFetch(respond: (req: Sent) => Answer | unknown) {
  const sent: Sent[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://jinlin.test')
    const headers: Record<string, string> = {}
    new Headers(init.headers as HeadersInit).forEach((v, k) => (headers[k.toLowerCase()] = v))
    let body: any = null
    let form: FormData | undefined
    if (typeof init.body === 'string') body = JSON.parse(init.body)
    else if (init.body instanceof FormData) {
      form = init.body
      body = JSON.parse(String(form.get('operations')))
    } else if (url.searchParams.size) {
      body = Object.fromEntries(
        [...url.searchParams].map(([k, v]) => [k, k === 'extensions' || k === 'variables' ? JSON.parse(v) : v]),
      )
    }
    const req: Sent = { method: (init.method ?? 'GET').toUpperCase(), url, headers, body, form }
    sent.push(req)
    const answer = respond(req) as Answer
    const payload = answer && typeof answer === 'object' && 'body' in answer ? answer : { body: answer }
    return new Response(JSON.stringify(payload.body), {
      status: payload.status ?? 200,
      headers: { 'content-type': 'application/graphql-response+json' },
    })
  })
  return { fetch: fetch as unknown as typeof globalThis.fetch, sent }
}

export function testClient(fetch: typeof globalThis.fetch, makeIdempotencyKey?: () => string) {
  return createJinlinClient({ url: 'http://jinlin.test/graphql', fetch, subscriptions: false, makeIdempotencyKey })
}

/** Global mount options: i18n and an urql client. */
export function plugins(client: ReturnType<typeof testClient>) {
  return { global: { plugins: [i18n, [urql, client] as any] } }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Let urql, Vue and Vant's timers run until the screen is quiet (a few more turns than a quiet machine needs: a
 * busy one, with the e2e browser beside it, once needed more than three). */
export async function settle() {
  for (let i = 0; i < 8; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
}
