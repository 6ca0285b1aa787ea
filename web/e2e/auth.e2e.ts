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

test('a newcomer signs up from the login screen and lands on "我的", logged in', async ({ page }, testInfo) => {
  await page.goto('/login')
  await page.getByRole('link', { name: '没有账号？去注册' }).click()
  await expect(page).toHaveURL(/\/signup/)
  await expect(page.locator('[data-test="signup-form"]')).toBeVisible()
  // A too-short password is stopped in the form, before the server.
  await page.locator('input[name="password"]').fill('short')
  await page.getByRole('button', { name: '注册' }).click()
  await expect(page.locator('[data-test="signup-form"]')).toContainText('至少')
  await shot(page, testInfo, '13-signup')

  // A fresh number each run (the demo seed uses 1380000000x and 137/139 only at Siming scale).
  const phone = `136${String(Date.now()).slice(-8)}`
  await page.locator('input[name="displayName"]').fill('e2e 新邻居')
  await page.locator('input[name="phone"]').fill(phone)
  await page.locator('input[name="password"]').fill('e2e-password-1')
  await page.getByRole('button', { name: '注册' }).click()
  await expect(page).toHaveURL(/\/me$/)
  await expect(page.locator('[data-test="profile"]')).toContainText('e2e 新邻居')
  await expect(page.locator('[data-test="profile"]')).toContainText(phone)
  await expect(page.locator('[data-test="staff-links"]')).toHaveCount(0)
  await shot(page, testInfo, '14-me-signed-up')
})
