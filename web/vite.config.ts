/// <reference types="vitest/config" />
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { defineConfig, loadEnv, type Plugin, type ProxyOptions } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'

const brotli = promisify(zlib.brotliCompress)
const gzip = promisify(zlib.gzip)

/**
 * Writes name.br (brotli, highest quality) and name.gz (gzip -9) next to every text file of the build worth it
 * (1 kB or more, the server's own gzip threshold, and smaller compressed). jinlin/web.py sends the copy the client
 * accepts: no compression per request, and brotli is some 12% smaller than gzip on these scripts. Build only.
 */
function precompress(): Plugin {
  const TEXT = /\.(?:js|mjs|css|html|svg|json|txt|webmanifest)$/
  return {
    name: 'jinlin:precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir ?? path.dirname(options.file ?? '')
      await Promise.all(
        Object.keys(bundle)
          .filter((name) => TEXT.test(name))
          .map(async (name) => {
            const file = path.join(dir, name)
            const raw = await readFile(file)
            if (raw.length < 1024) return
            const [br, gz] = await Promise.all([
              brotli(raw, {
                params: {
                  [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
                  [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
                  [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
                },
              }),
              gzip(raw, { level: zlib.constants.Z_BEST_COMPRESSION }),
            ])
            if (br.length < raw.length) await writeFile(`${file}.br`, br)
            if (gz.length < raw.length) await writeFile(`${file}.gz`, gz)
          }),
      )
    },
  }
}

/**
 * Vant's icon font (~25 kB of woff2) comes inlined as a data: URL in its icon CSS, which every screen loads before it
 * renders. Written out as a file of its own instead, it costs nothing until an icon shows, and then loads in parallel
 * (and is cached for good, like every file in assets/). Build only: the dev server keeps it inline.
 */
const INLINE_WOFF2 = /url\((data:font\/woff2;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+))\)/g

function extractInlineFonts(): Plugin {
  return {
    name: 'jinlin:extract-inline-fonts',
    apply: 'build',
    generateBundle(_options, bundle) {
      const names = new Map<string, string>() // data: URL -> emitted file name
      for (const file of Object.values(bundle)) {
        if (file.type !== 'asset' || !file.fileName.endsWith('.css') || typeof file.source !== 'string') continue
        // The CSS file keeps its name: hashed from its content before this rewrite, which this rewrite follows from.
        file.source = file.source.replace(INLINE_WOFF2, (_m, url: string, b64: string) => {
          let name = names.get(url)
          if (!name) {
            const bytes = Buffer.from(b64, 'base64')
            name = `assets/font-${createHash('sha256').update(bytes).digest('hex').slice(0, 10)}.woff2`
            this.emitFile({ type: 'asset', fileName: name, source: bytes })
            names.set(url, name)
          }
          return `url(./${path.posix.relative(path.posix.dirname(file.fileName), name)})`
        })
      }
    },
  }
}

// JINLIN_API (env or web/.env.local) is the API the dev server proxies /graphql to, http and ws.
export default defineConfig(({ mode }) => {
  const env = { ...loadEnv(mode, process.cwd(), 'JINLIN_'), ...process.env }
  const api = env.JINLIN_API || 'http://127.0.0.1:8000'
  const proxy: Record<string, ProxyOptions> = {
    '/graphql': {
      target: api,
      changeOrigin: true,
      ws: true,
      // The API refuses a cross-origin WebSocket (403); changeOrigin rewrites Host only, so the page's Origin
      // (this dev server) is rewritten to the API's own for the upgrade too.
      configure: (server) => server.on('proxyReqWs', (proxyReq) => proxyReq.setHeader('origin', new URL(api).origin)),
    },
    '/photos': { target: api, changeOrigin: true },
  }
  return {
    plugins: [
      vue(),
      // Vant components are imported on demand (with their CSS): a smaller first load on slow 3G.
      Components({ resolvers: [VantResolver()], dts: 'src/components.d.ts' }),
      extractInlineFonts(),
      precompress(),
    ],
    // Compile-time flags of Vue and vue-i18n: the app uses neither the Options API nor vue-i18n's legacy API nor its
    // <i18n-t>/v-t (composition `t()` only), so their code leaves the startup bundle.
    define: {
      __VUE_OPTIONS_API__: 'false',
      __VUE_I18N_LEGACY_API__: 'false',
      __VUE_I18N_FULL_INSTALL__: 'false',
      __INTLIFY_PROD_DEVTOOLS__: 'false',
    },
    server: { host: '127.0.0.1', proxy },
    preview: { host: '127.0.0.1', proxy }, // `npm run preview`: the built app against the same API
    build: {
      outDir: 'dist',
      target: 'es2020',
      sourcemap: false,
      chunkSizeWarningLimit: 600,
      rolldownOptions: {
        output: {
          // The libraries every screen needs, in a chunk of their own: it changes only when they are upgraded, so a
          // returning phone keeps it cached across deploys of the app's own code (its documents, messages, screens).
          codeSplitting: {
            groups: [
              {
                name: 'framework',
                test: /node_modules[\\/](?:@vue|vue|vue-router|vue-i18n|@intlify|@urql|wonka|@0no-co|graphql-ws)[\\/]/,
              },
            ],
          },
        },
      },
    },
    test: {
      environment: 'happy-dom',
      include: ['tests/**/*.spec.ts'],
      setupFiles: ['tests/setup.ts'],
      css: false,
      server: { deps: { inline: ['vant'] } },
    },
  }
})
