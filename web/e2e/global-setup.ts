// Starts `jinlin serve --demo` for the whole run and returns the function that stops it (Playwright calls it
// at the end, whether the tests passed or not). startServer starts another one (a test with its own settings).
//
// - The app must be built already: web/dist/index.html (or $JINLIN_WEB_DIST). This builds nothing.
// - The jinlin executable: $JINLIN_BIN if set; else ../.venv/bin/jinlin (the README's venv, relative to web/) if
//   it exists; else /tmp/venv/bin/jinlin.
// - A free port on 127.0.0.1 and a fresh SQLite file in a new temp dir (removed at the end); logins per account
//   limited loosely (JINLIN_RATE_ACCOUNT), as the suite logs the demo accounts in many times.
// - Waits up to 60 s for /healthz, then checks that / serves the app.
// The address is handed to the test workers as $JINLIN_E2E_URL.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = path.resolve(WEB, process.env.JINLIN_E2E_RESULTS || 'test-results') // as in fixtures.ts
const HEALTH_TIMEOUT_MS = 60_000

function resolveBinary(): { bin: string; why: string } {
  if (process.env.JINLIN_BIN) return { bin: process.env.JINLIN_BIN, why: '$JINLIN_BIN' }
  const venv = path.resolve(WEB, '../.venv/bin/jinlin')
  if (existsSync(venv)) return { bin: venv, why: '../.venv (the README venv)' }
  return { bin: '/tmp/venv/bin/jinlin', why: 'fallback /tmp/venv' }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

async function waitForHealth(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`jinlin serve exited (${child.exitCode ?? child.signalCode}) before /healthz answered; see ${log}`)
    try {
      const res = await fetch(`${url}/healthz`)
      if (res.ok) return
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`jinlin serve did not answer ${url}/healthz within ${HEALTH_TIMEOUT_MS / 1000} s; see ${log}`)
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve()
  return new Promise((resolve) => {
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig) // its own process group: uvicorn and anything it started
      } catch {
        /* already gone */
      }
    }
    const hard = setTimeout(() => killGroup('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(hard)
      resolve()
    })
    killGroup('SIGTERM')
  })
}

export interface Server {
  url: string
  stop: () => Promise<void>
}

/** `jinlin serve --demo` on a free port with a fresh SQLite file, ready to answer; `env` adds settings (such as
 * JINLIN_PERSISTED_ONLY); its log goes to `<results>/<name>-server.log`. */
export async function startServer(options: { name?: string; env?: Record<string, string> } = {}): Promise<Server> {
  const dist = path.resolve(WEB, process.env.JINLIN_WEB_DIST || 'dist')
  if (!existsSync(path.join(dist, 'index.html')))
    throw new Error(`e2e: no built app at ${dist}/index.html; run npm run build first`)

  const { bin, why } = resolveBinary()
  if (!existsSync(bin))
    throw new Error(`e2e: jinlin executable not found at ${bin} (${why}); set JINLIN_BIN to its path`)

  const tmp = mkdtempSync(path.join(tmpdir(), 'jinlin-e2e-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  mkdirSync(RESULTS, { recursive: true })
  const log = path.join(RESULTS, `${options.name ?? 'e2e'}-server.log`)
  const out = createWriteStream(log)
  const args = ['serve', '--demo', '--host', '127.0.0.1', '--port', String(port), '--db', `sqlite:///${tmp}/e2e.sqlite3`]
  console.log(`e2e: ${bin} (${why}) ${args.join(' ')}; app from ${dist}; log ${path.relative(WEB, log)}`)
  const child = spawn(bin, args, {
    cwd: tmp,
    // The suite logs the same demo accounts in some twenty times within minutes, beyond the per-account limit on
    // logins that protects real accounts from password guessing (10 in 10 minutes): raised for this server only.
    env: { ...process.env, JINLIN_WEB_DIST: dist, JINLIN_RATE_ACCOUNT: '1000/10m', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so the teardown can stop all of it
  })
  child.stdout!.pipe(out)
  child.stderr!.pipe(out)
  // Backstop if the runner dies without calling the teardown (not for SIGKILL, which nothing can catch).
  const onExit = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  process.once('exit', onExit)

  const teardown = async () => {
    process.removeListener('exit', onExit)
    await stop(child)
    out.end()
    rmSync(tmp, { recursive: true, force: true })
  }

  try {
    const started = Date.now()
    await waitForHealth(url, child, log)
    const home = await fetch(`${url}/`)
    const html = await home.text()
    if (!home.ok || !html.includes('<div id="app"'))
      throw new Error(`e2e: ${url}/ does not serve the built app (HTTP ${home.status}); is JINLIN_WEB_DIST honoured? see ${log}`)
    console.log(`e2e: server ready at ${url} in ${Date.now() - started} ms`)
  } catch (err) {
    await teardown()
    throw err
  }
  return { url, stop: teardown }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  // Fresh screenshot folder for this run (Playwright cleans only its own outputDir).
  const shots = path.join(RESULTS, 'screenshots')
  rmSync(shots, { recursive: true, force: true })
  mkdirSync(shots, { recursive: true })
  const server = await startServer()
  process.env.JINLIN_E2E_URL = server.url
  return server.stop
}
