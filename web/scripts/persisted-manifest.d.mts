// Types for persisted-manifest.mjs (a plain Node script, so the build needs no TypeScript runner).
export interface Operation {
  name: string
  parse: () => unknown
}
export function readOperations(file?: string): Operation[]
export function buildManifest(operations?: Operation[]): Record<string, string>
