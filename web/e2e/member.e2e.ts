// The member's claims. Both tests act as the same member, so they live in this one file and run one after the
// other in one worker (the first picks "the first project I may claim", which the second must not race for).
import { DEMO, apiLogin, expect, projects, shot, test, uiLogin } from './fixtures'
import { PHONE } from './phone'

test('a member claims a project near them, and it shows in my claims', async ({ page }, testInfo) => {
  await uiLogin(page, DEMO.member)
  await expect(page).toHaveURL(/\/me$/)
  await expect(page.locator('[data-test="profile"]')).toContainText(DEMO.member)
  await expect(page.locator('[data-test="registration"]')).not.toContainText('未报到') // registered (双报到)
  await shot(page, testInfo, '05-me-member')

  await page.locator('.van-tabbar-item', { hasText: '项目' }).click()
  await expect(page).toHaveURL(/\/projects$/)
  await expect(page.locator('.van-nav-bar__title')).toHaveText('身边项目')
  const rows = page.locator('[data-test="project-row"]')
  await expect(rows.first()).toBeVisible()
  await shot(page, testInfo, '06-projects')

  // The first project this member may claim now.
  const row = rows.filter({ has: page.locator('[data-test="claim"]:not([disabled])') }).first()
  await expect(row).toBeVisible()
  const title = (await row.locator('.van-cell__title > span').first().innerText()).trim()
  expect(title).not.toBe('')
  await row.locator('[data-test="claim"]').click()

  await expect(page.locator('.van-toast')).toContainText('认领成功')
  const claimed = rows.filter({ hasText: title })
  await expect(claimed.locator('[data-test="withdraw"]')).toBeVisible() // the row now offers withdrawing
  await expect(claimed).toContainText('进行中')
  await shot(page, testInfo, '07-projects-claimed')

  await page.locator('.van-tabbar-item', { hasText: '我的认领' }).click()
  await expect(page).toHaveURL(/\/claims$/)
  const claim = page.locator('[data-test="claim-row"]', { hasText: title })
  await expect(claim).toBeVisible()
  await expect(claim).toContainText('进行中')
  await shot(page, testInfo, '08-my-claims')

  // Changed their mind: withdraw it from my claims (projects near me lists only what one may claim now).
  await claim.locator('[data-test="withdraw"]').click()
  await page.locator('.van-dialog__confirm').click()
  await expect(page.locator('.van-toast')).toContainText('已撤回')
  await expect(claim).toContainText('已撤回')
  await expect(claim.locator('[data-test="withdraw"]')).toHaveCount(0)
  // ... and the project is offered again on projects near me.
  await page.locator('.van-tabbar-item', { hasText: '项目' }).click()
  await expect(rows.filter({ hasText: title }).locator('[data-test="claim"]:not([disabled])')).toBeVisible()
})

test('the branch admin verifies a member’s reported hours in the UI, and the member sees them verified', async ({ page, browser, baseURL }, testInfo) => {
  // Its own project, claimed and reported done through the API: the seeded claim belongs to org.e2e.ts.
  const title = `e2e 核实时长 ${Date.now()}`
  const admin = await apiLogin(DEMO.branchAdmin)
  const project = await projects.publish(admin, { title, category: 'ENVIRONMENT', capacity: 3, location: '观远里小区' })
  const member = await apiLogin(DEMO.member)
  const claim = await projects.claim(member, project.id)
  await projects.reportDone(member, claim.id, 2, 'e2e 清理楼道杂物')

  // 观远里支部书记: "我的" → 项目认领 → the project → the member's claim, waiting with the reported hours.
  await uiLogin(page, DEMO.branchAdmin)
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('[data-test="staff-projects-link"]').click()
  await expect(page).toHaveURL(/\/staff\/projects$/)
  await page.locator('[data-test="staff-project-row"]', { hasText: title }).click()
  await expect(page).toHaveURL(/\/staff\/projects\/[^/]+\/claims$/)
  const row = page.locator('[data-test="staff-claim"]', { hasText: '陈党员' })
  await expect(row.locator('[data-test="claim-status"]')).toHaveText('待核定')
  await expect(row).toContainText('e2e 清理楼道杂物')
  const form = row.locator('[data-test="verify-form"]')
  await expect(form.locator('input[name="hours"]')).toHaveValue('2') // defaults to the reported hours
  await shot(page, testInfo, '36-staff-claim-to-verify')

  await form.locator('input[name="hours"]').fill('1.5')
  await form.locator('input[name="comment"]').fill('e2e 按实际到岗时间核定')
  await form.locator('[data-test="verify"]').click()
  await expect(page.locator('.van-toast')).toContainText('已核定')
  await expect(row.locator('[data-test="claim-status"]')).toHaveText('已核定')
  await expect(row.locator('[data-test="verify-form"]')).toHaveCount(0)
  await expect(row).toContainText('1.5')
  await shot(page, testInfo, '37-staff-claim-verified')

  // The member, on another phone: "我的认领" shows the claim verified with the admin's hours.
  const context = await browser.newContext({ baseURL, ...PHONE })
  const phone = await context.newPage()
  await uiLogin(phone, DEMO.member, undefined, '/claims')
  await expect(phone).toHaveURL(/\/claims$/)
  const mine = phone.locator('[data-test="claim-row"]', { hasText: title })
  await expect(mine).toContainText('已核定')
  await expect(mine).toContainText('核定 1.5 小时')
  await shot(phone, testInfo, '38-my-claims-verified')
  await context.close().catch(() => {})
})
