import { DEMO, expect, shot, test, uiLogin } from './fixtures'

test('a wrong password shows the server message', async ({ page }, testInfo) => {
  await page.goto('/login')
  await expect(page.locator('[data-test="login-form"]')).toBeVisible()
  await shot(page, testInfo, '01-login')

  await uiLogin(page, DEMO.member, 'not-the-password')
  // The server's own message (WRONG_CREDENTIALS, in zh-CN), not a client-side one.
  await expect(page.locator('[data-test="server-error"]')).toHaveText('手机号或密码错误')
  await expect(page).toHaveURL(/\/login/)
  await shot(page, testInfo, '02-login-wrong-password')
})

test('the English switch shows English, and the server answers in English too', async ({ page }, testInfo) => {
  await page.goto('/login')
  await expect(page.locator('.van-nav-bar__title')).toHaveText('近邻')
  await expect(page.locator('[data-test="submit"]')).toHaveText('登录')

  await page.locator('[data-test="lang-switch"]').click()
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')
  await expect(page.locator('.van-nav-bar__title')).toHaveText('Jinlin')
  await expect(page.locator('[data-test="submit"]')).toHaveText('Log in')
  await expect(page.locator('[data-test="lang-switch"]')).toHaveText('中文')

  // A server message in the interface's language (Accept-Language follows the switch).
  await uiLogin(page, DEMO.member, 'not-the-password')
  await expect(page.locator('[data-test="server-error"]')).not.toHaveText('手机号或密码错误')
  await expect(page.locator('[data-test="server-error"]')).toHaveText(/[A-Za-z]/)
  await shot(page, testInfo, '03-login-english')

  // Logged in, the tab bar and the "me" screen are in English; the choice survives a reload.
  await uiLogin(page, DEMO.member)
  await expect(page).toHaveURL(/\/me$/)
  await expect(page.locator('.van-tabbar')).toContainText('Projects')
  await expect(page.locator('.van-tabbar')).toContainText('Me')
  await page.reload()
  await expect(page.locator('.van-nav-bar__title')).toHaveText('Me')
  await expect(page.locator('[data-test="hours"]')).toContainText('Service hours')
  await shot(page, testInfo, '04-me-english')
})
