// Live updates end to end: the resident's order screen follows the order over the graphql-ws subscription while
// other people (or the resident on another device) change it through the API.
import type { Page } from '@playwright/test'
import { DEMO, apiLogin, expect, gql, orders, shot, subscriptionSent, test, uiLogin } from './fixtures'

/** Open "my orders" as the resident, then the order with this description, and wait until it is followed live. */
async function openOrder(page: Page, description: string) {
  await uiLogin(page, DEMO.resident, undefined, '/orders')
  await expect(page).toHaveURL(/\/orders$/)
  const row = page.locator('[data-test="order-row"]', { hasText: description })
  await expect(row).toBeVisible()
  const subscribed = subscriptionSent(page, 'OrderUpdated')
  await row.click()
  await expect(page).toHaveURL(/\/orders\/[^/]+$/)
  await subscribed
  // The subscribe frame is out; give the server a moment to register it before changing the order.
  await page.waitForTimeout(500)
  // A marker that a reload or navigation would wipe: proves the changes below arrive without one.
  await page.evaluate(() => ((window as any).__e2eNoReload = true))
}

async function expectNoReload(page: Page) {
  expect(await page.evaluate(() => (window as any).__e2eNoReload)).toBe(true)
}

test('resident sees the order dispatched by the community and accepted by the provider, live', async ({ page }, testInfo) => {
  const resident = await apiLogin(DEMO.resident)
  const { compoundId, providerOrgId } = await orders.demoTargets(resident)
  const description = `e2e 实时派单 ${Date.now()}`
  const order = await orders.place(resident, { compoundId, category: 'REPAIR', description })
  expect(order.status).toBe('SUBMITTED')

  await openOrder(page, description)
  const status = page.locator('[data-test="order-status"]')
  await expect(status).toHaveText('已提交')
  await shot(page, testInfo, '09-order-detail-submitted')

  const community = await apiLogin(DEMO.communityAdmin)
  await orders.dispatch(community, { orderId: order.id, providerOrgId, priceFen: 5000 })
  await expect(status).toHaveText('已派单')
  await expect(page.locator('.van-step').first()).toContainText('派单')

  const steward = await apiLogin(DEMO.steward)
  await orders.accept(steward, order.id)
  await expect(status).toHaveText('已接单')
  await expect(page.locator('.van-step')).toHaveCount(3) // placed, dispatched, accepted
  await expectNoReload(page)
  await shot(page, testInfo, '10-order-detail-accepted')
})

test('resident sees the order cancelled through the API without reloading', async ({ page }, testInfo) => {
  const resident = await apiLogin(DEMO.resident)
  const { compoundId } = await orders.demoTargets(resident)
  const description = `e2e 实时取消 ${Date.now()}`
  const order = await orders.place(resident, { compoundId, category: 'REPAIR', description })

  await openOrder(page, description)
  const status = page.locator('[data-test="order-status"]')
  await expect(status).toHaveText('已提交')

  await orders.cancel(resident, order.id, 'e2e: 已自行解决')
  await expect(status).toHaveText('已取消')
  await expect(page.locator('.van-step').first()).toContainText('e2e: 已自行解决')
  await expectNoReload(page)
  await shot(page, testInfo, '11-order-detail-cancelled')

  // Back on the list, the order shows its new status.
  await page.locator('.van-nav-bar__left').click()
  await expect(page).toHaveURL(/\/orders$/)
  await expect(page.locator('[data-test="order-row"]', { hasText: description })).toContainText('已取消')
  await shot(page, testInfo, '12-my-orders')
})

test('resident confirms and rates a completed order', async ({ page }, testInfo) => {
  // Through the API, as the people who do it: placed, dispatched, accepted, started and completed.
  const resident = await apiLogin(DEMO.resident)
  const { compoundId, providerOrgId } = await orders.demoTargets(resident)
  const description = `e2e 确认评价 ${Date.now()}`
  const order = await orders.place(resident, { compoundId, category: 'REPAIR', description })
  await orders.dispatch(await apiLogin(DEMO.communityAdmin), { orderId: order.id, providerOrgId, priceFen: 3000 })
  const steward = await apiLogin(DEMO.steward)
  await orders.accept(steward, order.id)
  await orders.start(steward, order.id)
  await orders.complete(steward, order.id, 'e2e: 已修好')

  await openOrder(page, description)
  const status = page.locator('[data-test="order-status"]')
  await expect(status).toHaveText('已完成')
  const form = page.locator('[data-test="confirm-form"]')
  await expect(form).toBeVisible()
  await form.locator('[data-test="rate"] .van-rate__item').nth(3).click() // four stars
  await form.locator('textarea[name="comment"]').fill('师傅很准时')
  await shot(page, testInfo, '44-order-confirm')
  await form.locator('[data-test="confirm"]').click()

  await expect(status).toHaveText('已确认')
  await expect(form).toHaveCount(0)
  const rating = page.locator('[data-test="order-rating"]')
  await expect(rating).toContainText('师傅很准时')
  await expect(rating.locator('.van-rate__icon--full')).toHaveCount(4)
  await expect(page.locator('.van-step').first()).toContainText('确认评价')

  // The server holds it as the resident said.
  const { node } = await gql('query($id: ID!) { node(id: $id) { ... on Order { status rating comment } } }', { id: order.id }, resident)
  expect(node).toEqual({ status: 'CONFIRMED', rating: 4, comment: '师傅很准时' })
})
