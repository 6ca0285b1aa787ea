import { expect, shot, test, uiLogin } from './fixtures'

const DISTRICT_ADMIN = '13800000000' // 思明区管理员
const PARTNER_ADMIN = '13800000005' // 厦门市捷安集团党支部 admin (a partner unit)

test('the district admin opens the org page and sees its statistics and children', async ({ page }, testInfo) => {
  await uiLogin(page, DISTRICT_ADMIN)
  await expect(page).toHaveURL(/\/me$/)
  const link = page.locator('[data-test="org-link"]').first()
  await expect(link).toBeVisible()
  await link.click()
  await expect(page).toHaveURL(/\/orgs\/[^/]+$/)
  await expect(page.locator('.van-nav-bar__title')).toHaveText('组织')

  const stats = page.locator('[data-test="org-stats"]')
  await expect(stats).toBeVisible()
  await expect(stats).toContainText('小区覆盖')
  await expect(stats).toContainText('项目认领')
  await expect(stats).toContainText('意见答复')
  await expect(page.locator('[data-test="ring-chart"]')).toHaveCount(3)
  await expect(page.locator('[data-test="verified-hours"]')).toContainText('小时')
  await expect(page.locator('[data-test="child-row"]').first()).toBeVisible()
  // The bars fit a phone: no horizontal overflow.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await shot(page, testInfo, '30-org-stats')

  // A child org opens the same page for the child.
  const child = page.locator('[data-test="child-row"]').first()
  const childName = (await child.locator('.van-cell__title > span').first().innerText()).trim()
  await child.click()
  await expect(page.locator('[data-test="org-name"]')).toContainText(childName)
  await expect(page.locator('[data-test="org-stats"]')).toBeVisible()
})

test('the partner unit admin claims a project for the unit', async ({ page }, testInfo) => {
  await uiLogin(page, PARTNER_ADMIN)
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('[data-test="org-link"]', { hasText: '捷安' }).click()
  await expect(page.locator('[data-test="org-name"]')).toContainText('厦门市捷安集团党支部')
  await page.locator('[data-test="partner-link"]').click()
  await expect(page).toHaveURL(/\/orgs\/[^/]+\/partner$/)

  const rows = page.locator('[data-test="unit-project-row"]')
  const row = rows.filter({ has: page.locator('[data-test="claim-for-unit"]:not([disabled])') }).first()
  await expect(row).toBeVisible()
  await shot(page, testInfo, '31-partner-projects')
  const title = (await row.locator('.van-cell__title > span').first().innerText()).trim()
  await row.locator('[data-test="claim-for-unit"]').click()
  await expect(page.locator('.van-toast')).toContainText('已为单位认领')
  await expect(rows.filter({ hasText: title })).toContainText('已为单位认领')
  await shot(page, testInfo, '32-partner-claimed')

  await page.locator('.van-tab', { hasText: '轮值驻点' }).click()
  await expect(page.locator('[data-test="shift-row"]').first()).toBeVisible()
})

test('the partner unit requests the community venue, and the community approves it', async ({ browser, page }, testInfo) => {
  await uiLogin(page, PARTNER_ADMIN)
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('[data-test="org-link"]', { hasText: '捷安' }).click()
  await page.locator('[data-test="partner-link"]').click()
  await page.locator('.van-tab', { hasText: '资源预约' }).click()
  const venue = page.locator('[data-test="resource-row"]', { hasText: '莲花北社区活动室' })
  await expect(venue).toBeVisible()
  await venue.locator('[data-test="request-booking"]').click()
  const dialog = page.locator('.van-dialog')
  const day = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10)
  await dialog.locator('input[name="startsAt"]').fill(`${day}T09:00`)
  await dialog.locator('input[name="endsAt"]').fill(`${day}T11:00`)
  await dialog.locator('input[name="purpose"]').fill('e2e 党日活动')
  await dialog.locator('.van-dialog__confirm').click()
  await expect(page.locator('.van-toast')).toContainText('已提交预约申请')
  const mine = venue.locator('[data-test="booking-row"]', { hasText: 'e2e 党日活动' })
  await expect(mine).toContainText('待审批')
  await shot(page, testInfo, '33-partner-booking')

  // 莲花北社区's admin approves it on the community's bookings screen.
  const staff = await browser.newPage({ baseURL: page.url().replace(/\/orgs.*$/, '') })
  await uiLogin(staff, '13800000002')
  await expect(staff).toHaveURL(/\/me$/)
  await staff.locator('[data-test="org-link"]', { hasText: '莲花北社区' }).first().click()
  await staff.locator('[data-test="bookings-link"]').click()
  const pending = staff.locator('[data-test="booking-row"]', { hasText: 'e2e 党日活动' })
  await expect(pending).toContainText('待审批')
  await pending.locator('[data-test="approve-booking"]').click()
  await expect(staff.locator('.van-toast')).toContainText('已同意预约')
  await expect(pending).toContainText('已同意')
  await shot(staff, testInfo, '34-staff-bookings')
  await staff.close()
})

test('a member reports hours on a claim in my claims', async ({ page }, testInfo) => {
  await uiLogin(page, '13800000004')
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('.van-tabbar-item', { hasText: '我的认领' }).click()
  // The seeded claim (member.e2e.ts makes its own new claims, which this test leaves alone).
  const claim = page.locator('[data-test="claim-row"]', { hasText: '独居老人助餐探访' })
  await expect(claim).toBeVisible()
  await claim.locator('[data-test="report-hours"]').click()
  const dialog = page.locator('.van-dialog')
  await dialog.locator('input[name="hours"]').fill('2.5')
  await dialog.locator('.van-dialog__confirm').click()
  await expect(page.locator('.van-toast')).toContainText('已上报')
  await expect(claim).toContainText('上报 2.5 小时')
  await expect(claim).toContainText('待核定')
  await shot(page, testInfo, '35-claim-reported')
})

test('the partner unit admin checks in for today’s duty shift at the street’s service centre', async ({ page }, testInfo) => {
  await uiLogin(page, PARTNER_ADMIN)
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('[data-test="org-link"]', { hasText: '捷安' }).click()
  await page.locator('[data-test="partner-link"]').click()
  await page.locator('.van-tab', { hasText: '轮值驻点' }).click()

  // The seed's roster at 嘉莲街道: the last three days served, today's due, the days ahead not yet. Only today's
  // offers the check-in (this is the one test that uses it).
  const rows = page.locator('[data-test="shift-row"]')
  await expect(rows.first()).toBeVisible()
  await expect(rows.filter({ hasText: '已签到' })).toHaveCount(3)
  const due = rows.filter({ has: page.locator('[data-test="check-in"]') })
  await expect(due).toHaveCount(1)
  await expect(due).toContainText('嘉莲街道')
  const day = (await due.locator('.van-cell__label').innerText()).split(' · ')[0].trim()
  expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  await shot(page, testInfo, '39-partner-duty')

  await due.locator('[data-test="check-in"]').click()
  await expect(page.locator('.van-toast')).toContainText('签到成功')
  const today = rows.filter({ hasText: day })
  await expect(today).toContainText('已签到')
  await expect(page.locator('[data-test="check-in"]')).toHaveCount(0)
  await expect(rows.filter({ hasText: '已签到' })).toHaveCount(4)

  // Still so after a reload: the server recorded it.
  await page.reload()
  await page.locator('.van-tab', { hasText: '轮值驻点' }).click()
  await expect(rows.filter({ hasText: day })).toContainText('已签到')
  await shot(page, testInfo, '40-partner-duty-checked-in')
})
