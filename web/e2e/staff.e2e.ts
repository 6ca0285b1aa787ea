// The main flow entirely in the UI, three people in three browser contexts: a resident places an order, the
// community admin dispatches it, the provider's steward accepts it; the resident's order page follows live.
import type { Browser, Page } from '@playwright/test'
import { DEMO, apiLogin, expect, fillOrderForm, mutate, orders, shot, subscriptionSent, test, uiLogin } from './fixtures'
import { PHONE } from './phone'

async function newPhone(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, ...PHONE })
  return context.newPage()
}

/** As staff: "我的" → 待办订单 → the order with this description. */
async function openStaffOrder(page: Page, phone: string, description: string) {
  await uiLogin(page, phone)
  await expect(page).toHaveURL(/\/me$/)
  const link = page.locator('[data-test="staff-orders-link"]')
  await expect(link).toBeVisible()
  await link.click()
  await expect(page).toHaveURL(/\/staff\/orders$/)
  const row = page.locator('[data-test="staff-order-row"]', { hasText: description })
  await expect(row).toBeVisible()
  return row
}

test('resident orders, community dispatches, steward accepts, all in the UI; the resident sees it live', async ({ page, browser, baseURL }, testInfo) => {
  test.setTimeout(120_000)
  const description = `e2e 界面派单 ${Date.now()}`

  // Resident: place the order on the order form; lands on the order page, followed live.
  const subscribed = subscriptionSent(page, 'OrderUpdated')
  await uiLogin(page, DEMO.resident, undefined, '/orders/new')
  await fillOrderForm(page, description)
  await shot(page, testInfo, '19-place-order')
  await page.locator('[data-test="submit"]').click()
  await expect(page).toHaveURL(/\/orders\/[^/]+$/)
  const status = page.locator('[data-test="order-status"]')
  await expect(status).toHaveText('已提交')
  await subscribed
  await page.waitForTimeout(500)
  await page.evaluate(() => ((window as any).__e2eNoReload = true))

  // Community admin, second context: dispatch it to the compound's property team's repair offering.
  const admin = await newPhone(browser, baseURL!)
  const row = await openStaffOrder(admin, DEMO.communityAdmin, description)
  await shot(admin, testInfo, '20-staff-orders')
  await row.click()
  await expect(admin.locator('[data-test="dispatch-form"]')).toBeVisible()
  const offering = admin.locator('[data-test="offering"]', { hasText: '观远里自管物业服务队' }).first()
  await offering.click()
  await admin.locator('input[name="price"]').fill('50')
  await shot(admin, testInfo, '21-staff-dispatch')
  await admin.locator('[data-test="dispatch"]').click()
  await expect(admin.locator('[data-test="order-status"]')).toHaveText('已派单')
  await expect(admin.locator('[data-test="dispatch-form"]')).toHaveCount(0)

  await expect(status).toHaveText('已派单')

  // Provider's steward, third context: accept it.
  const steward = await newPhone(browser, baseURL!)
  const stewardRow = await openStaffOrder(steward, DEMO.steward, description)
  await stewardRow.click()
  await expect(steward.locator('[data-test="provider-actions"]')).toBeVisible()
  await shot(steward, testInfo, '22-steward-order')
  await steward.locator('[data-test="accept"]').click()
  await expect(steward.locator('[data-test="order-status"]')).toHaveText('已接单')
  await expect(steward.locator('[data-test="start"]')).toBeVisible()
  await shot(steward, testInfo, '23-steward-accepted')

  // The resident's page followed without a reload.
  await expect(status).toHaveText('已接单')
  await expect(page.locator('.van-step')).toHaveCount(3)
  expect(await page.evaluate(() => (window as any).__e2eNoReload)).toBe(true)
  await shot(page, testInfo, '24-resident-accepted-live')

  // The extra contexts are the test's own; closing them must not fail the flow that already passed.
  await Promise.all([admin.context().close(), steward.context().close()]).catch(() => {})
})

test('staff see their projects and a project’s claims to verify', async ({ page }, testInfo) => {
  await uiLogin(page, DEMO.communityAdmin)
  await expect(page).toHaveURL(/\/me$/)
  await expect(page.locator('[data-test="staff-links"]')).toBeVisible()
  await shot(page, testInfo, '25-me-staff')
  await page.locator('[data-test="staff-projects-link"]').click()
  await expect(page).toHaveURL(/\/staff\/projects$/)
  const row = page.locator('[data-test="staff-project-row"]').first()
  await expect(row).toBeVisible()
  await shot(page, testInfo, '26-staff-projects')
  await row.click()
  await expect(page).toHaveURL(/\/staff\/projects\/[^/]+\/claims$/)
  await expect(page.locator('.jl-section')).toBeVisible()
  await shot(page, testInfo, '27-staff-claims')
})

test('the resident sees no staff section on "我的"', async ({ page }) => {
  await uiLogin(page, DEMO.resident)
  await expect(page.locator('[data-test="resident-links"]')).toBeVisible()
  await expect(page.locator('[data-test="staff-links"]')).toHaveCount(0)
})

test('the community publishes a project in the UI', async ({ page }, testInfo) => {
  const title = `e2e 发布项目 ${Date.now()}`
  await uiLogin(page, DEMO.communityAdmin, undefined, '/staff/projects/new')
  await expect(page.locator('[data-test="project-form"]')).toBeVisible()
  await expect(page.locator('input[name="orgId"]')).not.toHaveValue('')
  await page.locator('input[name="title"]').fill(title)
  await page.locator('[data-test="category"]').click()
  await page.locator('.van-picker-column__item', { hasText: '环境整治' }).click()
  await page.waitForTimeout(400)
  await page.locator('.van-picker__confirm').click()
  await page.locator('input[name="location"]').fill('观远里小区 3 号楼')
  await shot(page, testInfo, '28-staff-project-new')
  await page.locator('[data-test="publish"]').click()
  await expect(page).toHaveURL(/\/staff\/projects\/[^/]+\/claims$/)
  await expect(page.locator('.jl-section')).toHaveText(title)
  await page.goto('/staff/projects')
  await expect(page.locator('[data-test="staff-project-row"]', { hasText: title })).toContainText('招募中')
})

test('the community answers a resident’s opinion in the UI', async ({ page }, testInfo) => {
  const resident = await apiLogin(DEMO.resident)
  const { compoundId } = await orders.demoTargets(resident)
  const text = `e2e 楼道灯坏了 ${Date.now()}`
  await mutate(
    'submitOpinion',
    'mutation($input: SubmitOpinionInput!) { submitOpinion(input: $input) { opinion { id } errors { code message } } }',
    { text, compoundId, category: 'REPAIR' },
    resident,
  )

  await uiLogin(page, DEMO.communityAdmin)
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('[data-test="staff-opinions-link"]').click()
  await expect(page).toHaveURL(/\/staff\/opinions$/)
  const row = page.locator('[data-test="staff-opinion-row"]', { hasText: text })
  await expect(row).toBeVisible()
  await shot(page, testInfo, '29-staff-opinions')
  await row.click()
  await page.locator('textarea[name="reply"]').fill('已安排物业今天更换，谢谢反映')
  await page.locator('[data-test="reply"]').click()
  await expect(page.locator('[data-test="opinion-reply"]', { hasText: '已安排物业今天更换' })).toBeVisible()
  await expect(page.locator('[data-test="opinion-status"]')).toHaveText('已回复')
  await shot(page, testInfo, '30-staff-opinion-replied')
})
