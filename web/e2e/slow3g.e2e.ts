// The member's main flow on a slow phone network: Chrome DevTools' "Slow 3G" profile (2 s latency, 50,000 B/s each
// way), emulated through CDP. Behaviour only, no timing assertions (the timings are bench/slow3g.ts's job): every
// wait shows something (the page's own placeholder, the button's spinner, a loading toast or the list's loading
// line), and a request that fails says so. Generous timeouts: one screen costs several 2 s round trips here.
import type { CDPSession, Page } from '@playwright/test'
import { DEMO, apiLogin, expect, projects, shot, test } from './fixtures'

const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: 50_000, uploadThroughput: 50_000 }
const WAIT = { timeout: 60_000 }

async function emulate(page: Page, conditions: typeof SLOW_3G): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', conditions)
  return cdp
}

test('on slow 3G a member logs in, sees projects near them and claims one, with loading states throughout', async ({ page }, testInfo) => {
  test.setTimeout(240_000)
  // One more project the member may claim (观远里's branch publishes it), so that there are always two or more:
  // member.e2e.ts, acting as the same member on the same server, claims the first it may; this test takes the last.
  await projects.publish(await apiLogin(DEMO.branchAdmin), {
    title: `慢网认领 e2e ${Date.now()}`,
    category: 'ENVIRONMENT',
    capacity: 5,
    location: '观远里小区',
  })

  const cdp = await emulate(page, SLOW_3G)
  await page.goto('/login?next=/projects', { waitUntil: 'commit', timeout: 60_000 })
  // Before the app's code is in, the page says it is loading rather than staying blank.
  await expect(page.locator('[data-test="boot"]')).toBeVisible(WAIT)
  const phone = page.locator('input[name="phone"]')
  await expect(phone).toBeVisible(WAIT)
  await expect(page.locator('[data-test="boot"]')).toHaveCount(0)

  await phone.fill(DEMO.member)
  await page.locator('input[name="password"]').fill('jinlin-demo')
  const submit = page.locator('[data-test="submit"]')
  await submit.click()
  await expect(submit).toHaveClass(/van-button--loading/) // the login request is on its way
  await expect(page).toHaveURL(/\/projects$/, WAIT)

  // The screen's code, then its first page: a loading toast or the list's loading line until the rows come.
  const rows = page.locator('[data-test="project-row"]')
  await expect(page.locator('.van-toast--loading, .van-list__loading').first()).toBeVisible(WAIT)
  const open = rows.filter({ has: page.locator('[data-test="claim"]:not([disabled])') })
  await expect(open.first()).toBeVisible(WAIT)
  const title = (await open.last().locator('.van-cell__title > span').first().innerText()).trim()
  expect(title).not.toBe('')
  const row = rows.filter({ hasText: title })
  await expect(page.locator('.van-toast--loading')).toBeHidden(WAIT)
  await shot(page, testInfo, '50-slow3g-projects')

  // The network drops: claiming says so, and the row still offers the claim.
  await cdp.send('Network.emulateNetworkConditions', { ...SLOW_3G, offline: true })
  await row.locator('[data-test="claim"]').click()
  await expect(page.locator('.van-toast')).toContainText('网络异常', WAIT)
  await expect(row.locator('[data-test="claim"]')).toBeEnabled(WAIT)
  await shot(page, testInfo, '51-slow3g-offline-claim')

  // Back on slow 3G: the claim goes through.
  await cdp.send('Network.emulateNetworkConditions', SLOW_3G)
  await expect(page.locator('.van-toast')).toBeHidden(WAIT) // the failure toast has gone
  await row.locator('[data-test="claim"]').click()
  await expect(page.locator('.van-toast')).toContainText('认领成功', WAIT)
  await expect(row.locator('[data-test="withdraw"]')).toBeVisible(WAIT)
  await expect(row).toContainText('进行中')
  await shot(page, testInfo, '52-slow3g-claimed')
})
