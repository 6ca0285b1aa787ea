// 听邻说事 from the resident's side: the list of their opinions, a new one, and the detail with the community's
// reply. (The community's side, answering one, is in staff.e2e.ts.)
import { DEMO, expect, shot, test, uiLogin } from './fixtures'

test('the resident reads the community’s reply, then says something new in the UI', async ({ page }, testInfo) => {
  await uiLogin(page, DEMO.resident)
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('[data-test="resident-links"] .van-cell', { hasText: '听邻说事' }).click()
  await expect(page).toHaveURL(/\/opinions$/)
  const rows = page.locator('[data-test="opinion-row"]')
  // The seeded opinion the community answered: its reply shows on the list and on the detail.
  const answered = rows.filter({ hasText: '小区东门路灯坏了' })
  await expect(answered).toContainText('已回复')
  await shot(page, testInfo, '15-opinions')
  await answered.click()
  await expect(page).toHaveURL(/\/opinions\/[^/]+$/)
  await expect(page.locator('[data-test="opinion-status"]')).toHaveText('已回复')
  await expect(page.locator('[data-test="opinion-reply"]')).toContainText('已报修，供电所本周内更换灯具。')
  await expect(page.locator('[data-test="reply-form"]')).toHaveCount(0) // residents read replies, they do not reply
  await shot(page, testInfo, '16-opinion-detail-replied')

  // A new one: text and a category; the compound is the resident's own (one household, so no picker).
  await page.goBack()
  await expect(page).toHaveURL(/\/opinions$/)
  await page.locator('[data-test="new-opinion"]').click()
  await expect(page).toHaveURL(/\/opinions\/new$/)
  await expect(page.locator('[data-test="opinion-form"]')).toBeVisible()
  // An empty text is stopped in the form, before the server.
  await page.locator('[data-test="submit"]').click()
  await expect(page.locator('[data-test="opinion-form"]')).toContainText('请填写内容')
  const text = `e2e 单元门禁经常失灵 ${Date.now()}`
  await page.locator('textarea[name="text"]').fill(text)
  await page.locator('input[name="category"]').click()
  await page.locator('.van-picker-column__item', { hasText: '平安巡逻' }).click()
  await page.waitForTimeout(400) // the column scrolls to the item
  await page.locator('.van-picker__confirm').click()
  await expect(page.locator('input[name="category"]')).toHaveValue('平安巡逻')
  await shot(page, testInfo, '17-opinion-new')
  await page.locator('[data-test="submit"]').click()

  // Lands on the new opinion's page: waiting for a reply, in 观远里.
  await expect(page).toHaveURL(/\/opinions\/[^/]+$/)
  await expect(page.locator('[data-test="opinion-text"]')).toContainText(text)
  await expect(page.locator('[data-test="opinion-status"]')).toHaveText('待处理')
  await expect(page.locator('.jl-page')).toContainText('观远里小区')
  await expect(page.locator('.jl-page')).toContainText('暂无回复，社区会尽快处理')
  await shot(page, testInfo, '18-opinion-detail-new')

  await page.goto('/opinions')
  await expect(rows.filter({ hasText: text })).toBeVisible()
})
