// End-to-end tests: the built app (web/dist) served by `jinlin serve --demo` on 127.0.0.1, driven in a phone
// viewport by the machine's Chromium (`npx playwright install` cannot download here).
//
//   npm run build && npm run e2e
//
// Env: JINLIN_BIN (the jinlin executable; see e2e/global-setup.ts), CHROMIUM_PATH (default /usr/bin/chromium),
// JINLIN_WEB_DIST (default web/dist), JINLIN_E2E_RESULTS (artefacts folder, default web/test-results: screenshots of
// each main screen in screenshots/, the server's log in e2e-server.log, Playwright's own output in e2e/).
import { defineConfig } from '@playwright/test'
import { PHONE } from './e2e/phone'

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.e2e.ts', // not *.spec.ts: those are the Vitest component tests
  globalSetup: './e2e/global-setup.ts', // starts the server; its returned function stops it
  outputDir: `${process.env.JINLIN_E2E_RESULTS || './test-results'}/e2e`, // traces, failure screenshots
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    // baseURL is set per test from the server global setup started (see e2e/fixtures.ts).
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: chromium },
    ...PHONE,
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
})
