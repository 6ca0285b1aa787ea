// Writes dist/persisted-documents.json: every document the app can send, keyed by its SHA-256, in the format
// graphql-codegen uses ({"<sha256>": "<document>"}), for a server run with JINLIN_PERSISTED_ONLY=1 and
// JINLIN_PERSISTED_MANIFEST=web/dist/persisted-documents.json (trusted documents: nothing else runs).
//
// The text must be exactly what urql sends, so it is made by urql's own functions: queries and mutations pass the
// document cache, which adds __typename (formatDocument); subscriptions and the token refresh (sent past the
// cache by the auth exchange) go as written. Both forms of every operation are listed.
//
//   node scripts/persisted-manifest.mjs [--out FILE]   (npm run build runs it after vite build)
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { formatDocument, stringifyDocument } from '@urql/core'

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// graphql-codegen's client preset writes each operation as a JSON literal: export const XDocument = {...} as unknown as
const DOCUMENT = /^export const (\w+Document) = (\{.*\}) as unknown as DocumentNode</

/** The operations in src/gql/graphql.ts (fragments alone are not operations), as fresh JSON each call. */
export function readOperations(file = path.join(WEB, 'src/gql/graphql.ts')) {
  const operations = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = DOCUMENT.exec(line)
    if (!match) continue
    const parse = () => JSON.parse(match[2])
    if (parse().definitions.some((d) => d.kind === 'OperationDefinition')) operations.push({ name: match[1], parse })
  }
  if (operations.length === 0) throw new Error(`no operations in ${file}: run npm run codegen first`)
  return operations
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex')

/** hash -> document for every text urql may send for these operations. */
export function buildManifest(operations = readOperations()) {
  const manifest = {}
  for (const { parse } of operations) {
    for (const text of [stringifyDocument(parse()), stringifyDocument(formatDocument(parse()))]) manifest[sha256(text)] = text
  }
  return manifest
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--out')
  const out = at > 0 ? path.resolve(process.argv[at + 1]) : path.join(WEB, 'dist/persisted-documents.json')
  const operations = readOperations()
  const manifest = buildManifest(operations)
  writeFileSync(out, JSON.stringify(manifest, null, 1) + '\n')
  console.log(`persisted-documents: ${operations.length} operations, ${Object.keys(manifest).length} documents -> ${path.relative(process.cwd(), out)}`)
}
