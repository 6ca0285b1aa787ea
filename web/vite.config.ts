/// <reference types="vitest/config" />
import { defineConfig, loadEnv, type ProxyOptions } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'

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
    ],
    server: { host: '127.0.0.1', proxy },
    preview: { host: '127.0.0.1', proxy }, // `npm run preview`: the built app against the same API
    build: {
      outDir: 'dist',
      target: 'es2020',
      sourcemap: false,
      chunkSizeWarningLimit: 600,
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
