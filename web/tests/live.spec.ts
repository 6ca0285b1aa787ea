// Against a running API (skipped unless JINLIN_LIVE_URL is set), through the app's own client and documents:
//   JINLIN_LIVE_URL=http://127.0.0.1:5174/graphql npx vitest run tests/live.spec.ts
import { describe, expect, it } from 'vitest'
import { ClaimProjectDocument, LoginDocument, MeDocument, ProjectsDocument, WithdrawClaimDocument } from '../src/gql/graphql'
import { createJinlinClient } from '../src/graphql/client'
import { session } from '../src/auth/session'
import { setLocale } from '../src/i18n'

const url = process.env.JINLIN_LIVE_URL

describe.skipIf(!url)('live API', () => {
  it('logs in, loads projects near me as persisted GETs, claims and withdraws', async () => {
    const sent: { method: string; url: string; headers: Record<string, string>; status: number; body: string }[] = []
    const recordingFetch: typeof fetch = async (input, init = {}) => {
      const response = await fetch(input, init)
      const headers: Record<string, string> = {}
      new Headers(init.headers as HeadersInit).forEach((v, k) => (headers[k] = v))
      sent.push({ method: init.method ?? 'GET', url: String(input), headers, status: response.status,
        body: typeof init.body === 'string' ? init.body : '' })
      return response
    }
    const client = createJinlinClient({ url, fetch: recordingFetch, subscriptions: false })

    const wrong = await client.mutation(LoginDocument, { input: { phone: '13800000004', password: 'wrong-pass' } }).toPromise()
    expect(wrong.data?.login.errors[0]?.code).toBe('WRONG_CREDENTIALS')
    console.log('wrong password (zh):', wrong.data?.login.errors[0]?.message)

    const login = await client.mutation(LoginDocument, { input: { phone: '13800000004', password: 'jinlin-demo' } }).toPromise()
    expect(login.error).toBeUndefined()
    const auth = login.data!.login
    expect(auth.errors).toEqual([])
    session.signIn({ accessToken: auth.accessToken, refreshToken: auth.refreshToken })

    const me = await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise()
    expect(me.error).toBeUndefined()
    console.log('viewer:', JSON.stringify(me.data?.viewer))

    const first = await client.query(ProjectsDocument, { filter: { claimable: true }, first: 2 }, { requestPolicy: 'network-only' }).toPromise()
    expect(first.error).toBeUndefined()
    const conn = first.data!.projects
    console.log('projects near me:', conn.totalCount, conn.edges.map((e) => e.node.title), conn.pageInfo)
    if (conn.pageInfo.hasNextPage) {
      const next = await client
        .query(ProjectsDocument, { filter: { claimable: true }, first: 2, after: conn.pageInfo.endCursor }, { requestPolicy: 'network-only' })
        .toPromise()
      expect(next.error).toBeUndefined()
      const ids = new Set(conn.edges.map((e) => e.node.id))
      expect(next.data!.projects.edges.every((e) => !ids.has(e.node.id))).toBe(true)
    }

    const target = conn.edges[0]?.node
    if (target) {
      const claimed = await client.mutation(ClaimProjectDocument, { input: { projectId: target.id } }).toPromise()
      expect(claimed.error).toBeUndefined()
      console.log('claim:', JSON.stringify(claimed.data?.claimProject.errors), claimed.data?.claimProject.claim?.status)
      setLocale('en')
      const again = await client.mutation(ClaimProjectDocument, { input: { projectId: target.id } }).toPromise()
      console.log('claim again (en):', JSON.stringify(again.data?.claimProject.errors))
      expect(again.data?.claimProject.errors.length).toBeGreaterThan(0)
      setLocale('zh-CN')
      const claimId = claimed.data?.claimProject.claim?.id
      if (claimId) {
        const withdrawn = await client.mutation(WithdrawClaimDocument, { input: { claimId } }).toPromise()
        expect(withdrawn.data?.withdrawClaim.errors).toEqual([])
        console.log('withdraw:', withdrawn.data?.withdrawClaim.claim?.status)
      }
    }

    for (const r of sent) {
      console.log(r.method, r.status, decodeURIComponent(r.url).slice(0, 160),
        JSON.stringify({ auth: r.headers.authorization?.slice(0, 14), key: r.headers['idempotency-key'], lang: r.headers['accept-language'] }),
        r.body ? r.body.slice(0, 60) : '')
    }
    const gets = sent.filter((r) => r.method === 'GET')
    expect(gets.length).toBeGreaterThan(0)
    expect(gets.every((r) => r.status === 200)).toBe(true)
  })
})
