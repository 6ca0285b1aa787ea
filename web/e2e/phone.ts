// The phone every browser test and the slow-3G benchmark use: an Android phone 390×844 CSS pixels wide (the issue's
// 360–430 px), in Chinese, on Xiamen's time.
import type { BrowserContextOptions } from '@playwright/test'

export const PHONE = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 3,
  locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
} satisfies BrowserContextOptions
