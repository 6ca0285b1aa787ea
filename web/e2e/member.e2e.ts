import { DEMO, expect, shot, test, uiLogin } from './fixtures'

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
})
