import type { CodegenConfig } from '@graphql-codegen/cli'

// Typed operations from the server's schema (../schema.graphql, kept current by the server's tests).
// Operations live in src/graphql/*.ts as graphql(`...`) calls; the output is src/gql/.
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/graphql/**/*.ts', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', Date: 'string', Upload: 'File' },
      },
    },
  },
}

export default config
