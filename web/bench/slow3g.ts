// The mobile web app on a slow network: how long the first screens take, and how many bytes they cost, under Chrome
// DevTools' "Slow 3G" and "Fast 3G" profiles in a 390x844 phone viewport. A benchmark, not a test: it asserts
// nothing and prints what it measured.
//
//   npm run build && npm run bench:slow3g [-- --runs 3 --markdown /tmp/slow3g.md]
//
// The server is `jinlin serve --demo` on a free port with a fresh SQLite file, started and stopped by the e2e global
// setup (e2e/global-setup.ts; same env: JINLIN_BIN, JINLIN_WEB_DIST, CHROMIUM_PATH). Per profile and run, in a fresh
// browser context (empty HTTP cache):
//   cold login     /login until the form is usable (phone and password inputs and the submit button visible)
//   login→projects the member 13800000004 submits the form (/login?next=/projects) until "projects near me"
//                  shows its first row
//   warm projects  a second visit to /projects (HTTP cache primed, still signed in) until the first row shows
//   warm login     a second visit to the same /login URL (signed out, HTTP cache primed) until the form is usable
// Bytes are what crossed the (emulated) network: the sum of CDP Network.loadingFinished encodedDataLength (headers
// included; requests answered from the HTTP cache are not counted, nor are WebSocket frames; BENCH_DEBUG=1 lists
// every request).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type CDPSession, type Page } from '@playwright/test'
import { PHONE } from '../e2e/phone'

type Profile = { name: string; latency: number; down: number; up: number }
/** Chrome DevTools' presets (bytes per second; latency in ms, added to every request). */
const PROFILES: Profile[] = [
  { name: 'Slow 3G', latency: 2000, down: 50_000, up: 50_000 },
  { name: 'Fast 3G', latency: 562.5, down: 180_000, up: 84_375 },
]
const MEMBER = '13800000004'
const PASSWORD = 'jinlin-demo'
const STEP_TIMEOUT_MS = 120_000
/** The login screen, sending the member on to "projects near me"; the same URL both visits, so the second one can
 * revalidate index.html (304) rather than fetch it anew. */
const LOGIN = '/login?next=/projects'

function args() {
  const argv = process.argv.slice(2)
  const opts = { runs: 1, markdown: '' as string }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') opts.runs = Math.max(1, Number(argv[++i]) || 1)
    else if (argv[i] === '--markdown') opts.markdown = argv[++i] ?? ''
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log('usage: npm run bench:slow3g [-- --runs N] [--markdown FILE]')
      process.exit(0)
    } else throw new Error(`unknown argument ${argv[i]}`)
  }
  return opts
}

/** Counts the bytes and requests of one page's traffic, from a mark on. */
class Meter {
  bytes = 0
  requests = 0
  private readonly cached = new Set<string>()
  private readonly urls = new Map<string, string>()
  private constructor(readonly cdp: CDPSession) {
    cdp.on('Network.requestServedFromCache', (e) => this.cached.add(e.requestId))
    // data: URLs (Vant's icon font is one, inside its CSS) cross no network.
    cdp.on('Network.requestWillBeSent', (e) => e.request.url.startsWith('data:') && this.cached.add(e.requestId))
    cdp.on('Network.responseReceived', (e) => {
      if (e.response.fromDiskCache || e.response.fromServiceWorker || e.response.fromPrefetchCache) this.cached.add(e.requestId)
      this.urls.set(e.requestId, `${e.response.status} ${e.response.url.slice(0, 100)}`)
    })
    cdp.on('Network.loadingFinished', (e) => {
      const cached = this.cached.has(e.requestId)
      if (process.env.BENCH_DEBUG) console.log(`  ${cached ? 'cache' : e.encodedDataLength} ${this.urls.get(e.requestId)}`)
      if (cached) return
      this.bytes += e.encodedDataLength
      this.requests += 1
    })
  }
  static async attach(context: BrowserContext, page: Page, p: Profile): Promise<Meter> {
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: p.latency,
      downloadThroughput: p.down,
      uploadThroughput: p.up,
    })
    return new Meter(cdp)
  }
  reset() {
    this.bytes = 0
    this.requests = 0
  }
}

type Step = { ms: number; bytes: number; requests: number }

async function loginUsable(page: Page) {
  for (const sel of ['input[name="phone"]', 'input[name="password"]', '[data-test="submit"]'])
    await page.locator(sel).waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS })
}

async function projectsShown(page: Page) {
  await page.locator('[data-test="project-row"]').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS })
}

async function timed(meter: Meter, action: () => Promise<unknown>, until: () => Promise<void>): Promise<Step> {
  meter.reset()
  const start = performance.now()
  await action()
  await until()
  const ms = performance.now() - start
  return { ms, bytes: meter.bytes, requests: meter.requests }
}

async function onePass(browser: Awaited<ReturnType<typeof chromium.launch>>, base: string, p: Profile) {
  const context = await browser.newContext({ baseURL: base, ...PHONE })
  context.setDefaultTimeout(STEP_TIMEOUT_MS)
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS)
  try {
    const steps: Record<string, Step> = {}
    let page = await context.newPage()
    let meter = await Meter.attach(context, page, p)
    steps['cold login'] = await timed(meter, () => page.goto(LOGIN, { waitUntil: 'commit' }), () => loginUsable(page))
    await page.locator('input[name="phone"]').fill(MEMBER)
    await page.locator('input[name="password"]').fill(PASSWORD)
    steps['login→projects'] = await timed(meter, () => page.locator('[data-test="submit"]').click(), () => projectsShown(page))
    await page.close()

    page = await context.newPage()
    meter = await Meter.attach(context, page, p)
    steps['warm projects'] = await timed(meter, () => page.goto('/projects', { waitUntil: 'commit' }), () => projectsShown(page))
    await page.evaluate(() => localStorage.clear()) // signed out, cache kept
    await page.close()

    page = await context.newPage()
    meter = await Meter.attach(context, page, p)
    steps['warm login'] = await timed(meter, () => page.goto(LOGIN, { waitUntil: 'commit' }), () => loginUsable(page))
    await page.close()
    return steps
  } finally {
    await context.close()
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

async function main() {
  const opts = args()
  // The e2e global setup clears $JINLIN_E2E_RESULTS/screenshots: keep the bench out of the e2e tests' folder.
  process.env.JINLIN_E2E_RESULTS ||= mkdtempSync(path.join(tmpdir(), 'jinlin-bench-'))
  const { default: globalSetup } = await import('../e2e/global-setup')
  const teardown = await globalSetup()
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true })
  const rows: string[][] = []
  try {
    const base = process.env.JINLIN_E2E_URL!
    for (const p of PROFILES) {
      const passes: Record<string, Step>[] = []
      for (let i = 0; i < opts.runs; i++) passes.push(await onePass(browser, base, p))
      for (const step of Object.keys(passes[0])) {
        const pick = (f: (s: Step) => number) => median(passes.map((x) => f(x[step])))
        rows.push([
          p.name,
          step,
          (pick((s) => s.ms) / 1000).toFixed(2),
          (pick((s) => s.bytes) / 1024).toFixed(1),
          String(pick((s) => s.requests)),
        ])
      }
    }
  } finally {
    await browser.close()
    await teardown()
  }

  const head = ['profile', 'step', 'time s', 'transferred KiB', 'requests']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  console.log(`\nmobile web app on slow networks (390x844; median of ${opts.runs} run(s))`)
  console.log(line(head))
  for (const r of rows) console.log(line(r))
  if (opts.markdown) {
    const md = [
      `| ${head.join(' | ')} |`,
      '|---|---|---:|---:|---:|',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
      `median of ${opts.runs} run(s); Slow 3G = 2000 ms latency, 50,000 B/s down and up; Fast 3G = 562.5 ms, 180,000 B/s down, 84,375 up (CDP Network.emulateNetworkConditions)`,
      '',
    ].join('\n')
    writeFileSync(opts.markdown, md)
    console.log(`markdown: ${opts.markdown}`)
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
