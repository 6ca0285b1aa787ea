// Trusted documents: a server run with JINLIN_PERSISTED_ONLY=1 and the manifest the build writes
// (dist/persisted-documents.json) runs nothing else, so the app must send only what that manifest lists, queries by
// hash, mutations (a multipart order too) and subscriptions by their text. This file starts its own such server.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'
import { startServer, type Server } from './global-setup'
import { DEMO, expect, fillOrderForm, shot, subscriptionSent, test as base, uiLogin } from './fixtures'

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.resolve(WEB, process.env.JINLIN_WEB_DIST || 'dist')
const manifest = path.join(dist, 'persisted-documents.json')

const test = base.extend<{}, { trusted: Server }>({
  trusted: [
    async ({}, use) => {
      if (!existsSync(manifest)) throw new Error(`e2e: no ${manifest}; npm run build writes it (vite build alone does not)`)
      const server = await startServer({ name: 'trusted', env: { JINLIN_PERSISTED_ONLY: '1', JINLIN_PERSISTED_MANIFEST: manifest } })
      await use(server)
      await server.stop()
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ trusted }, use) => {
    await use(trusted.url)
  },
})

/** Every GraphQL answer the page gets that refuses a document (HTTP or websocket), to assert there are none. */
function refusals(page: Page): string[] {
  const seen: string[] = []
  const refused = (text: string) => /PERSISTED_QUERY_(REQUIRED|NOT_FOUND)|Only the app's registered operations/.test(text)
  page.on('response', async (response) => {
    if (!response.url().includes('/graphql')) return
    const text = await response.text().catch(() => '')
    if (response.status() >= 400 || refused(text)) seen.push(`${response.status()} ${text.slice(0, 200)}`)
  })
  page.on('websocket', (ws) =>
    ws.on('framereceived', (frame) => {
      const text = String(frame.payload)
      if (text.includes('"error"') || refused(text)) seen.push(`ws ${text.slice(0, 200)}`)
    }),
  )
  return seen
}

test('the app runs on a trusted-documents server: order, live page, cancel; a document not in the manifest is refused', async ({ page, trusted }, testInfo) => {
  test.setTimeout(90_000)
  const refused = refusals(page)

  // Anything not in the manifest is refused, so the server really is in that mode.
  const foreign = await page.request.post(`${trusted.url}/graphql`, { data: { query: '{ viewer { id } }' } })
  expect(await foreign.json()).toMatchObject({ errors: [{ extensions: { code: 'PERSISTED_QUERY_REQUIRED' } }] })

  // Log in and place an order (a multipart request) through the order form.
  const description = `e2e 受信文档 ${Date.now()}`
  await uiLogin(page, DEMO.resident, undefined, '/orders/new')
  await fillOrderForm(page, description)
  await page.locator('[data-test="submit"]').click()
  await expect(page).toHaveURL(/\/orders\/[^/]+$/)
  await expect(page.locator('[data-test="order-status"]')).toHaveText('已提交')

  // A second tab follows the order live (the subscription's text is in the manifest too) ...
  const live = await page.context().newPage()
  refused.push(...refusals(live))
  const subscribed = subscriptionSent(live, 'OrderUpdated')
  await live.goto(new URL(page.url()).pathname)
  await expect(live.locator('[data-test="order-status"]')).toHaveText('已提交')
  await subscribed
  await live.waitForTimeout(500) // let the server register the subscription

  // ... while the first cancels it.
  await page.locator('[data-test="cancel"]').click()
  await page.locator('.van-dialog__confirm').click()
  await expect(page.locator('[data-test="order-status"]')).toHaveText('已取消')
  await expect(live.locator('[data-test="order-status"]')).toHaveText('已取消')
  await shot(live, testInfo, '45-trusted-order-cancelled-live')

  // The lists and the other screens a resident opens.
  for (const [path, marker] of [['/orders', 'order-row'], ['/opinions', 'opinion-row'], ['/polls', 'poll']] as const) {
    await page.goto(path)
    await expect(page.locator(`[data-test="${marker}"]`).first()).toBeVisible()
  }
  expect(refused).toEqual([])
})
