// The trusted-documents manifest must hold exactly the texts the app sends, or a server run with
// JINLIN_PERSISTED_ONLY=1 refuses the app: checked against what the real client puts on the wire.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildManifest, readOperations } from '../scripts/persisted-manifest.mjs'
import { LoginDocument, MeDocument, ProjectsDocument } from '../src/gql/graphql'
import { session } from '../src/auth/session'
import { mockFetch, testClient } from './helpers'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('persisted-documents manifest', () => {
  const manifest = buildManifest()

  it('lists every operation, each text under its own SHA-256', () => {
    expect(readOperations().length).toBeGreaterThanOrEqual(40)
    for (const [hash, text] of Object.entries(manifest)) expect(sha256(text)).toBe(hash)
  })

  it('holds the hash of every query and the text of every mutation the client sends, refresh included', async () => {
    const { fetch, sent } = mockFetch((req) => {
      const op = req.body?.extensions?.persistedQuery ? 'query' : 'mutation'
      if (req.body?.query?.includes('refreshToken('))
        return { data: { refreshToken: { accessToken: 'a2', refreshToken: 'r2', errors: [] } } }
      if (op === 'query' && sent.filter((s) => s.headers.authorization === 'Bearer a1').length === 1)
        return { errors: [{ message: 'expired', extensions: { code: 'UNAUTHENTICATED' } }] }
      return { data: null }
    })
    session.setTokens('a1', 'r1')
    const client = testClient(fetch)
    await client.query(MeDocument, {}).toPromise() // refused once: the client refreshes, then asks again
    await client.query(ProjectsDocument, { first: 20 } as never).toPromise()
    await client.mutation(LoginDocument, { input: { phone: '13800000004', password: 'x' } }).toPromise()
    session.clear()

    const hashes = sent.filter((s) => s.body?.extensions?.persistedQuery).map((s) => s.body.extensions.persistedQuery.sha256Hash)
    const texts = sent.filter((s) => typeof s.body?.query === 'string').map((s) => s.body.query as string)
    expect(hashes.length).toBeGreaterThanOrEqual(2)
    expect(texts.some((t) => t.includes('refreshToken('))).toBe(true)
    for (const hash of hashes) expect(manifest).toHaveProperty(hash)
    for (const text of texts) expect(manifest[sha256(text)]).toBe(text)
  })
})
