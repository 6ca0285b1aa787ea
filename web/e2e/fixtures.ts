// Shared pieces of the e2e tests: the server address from global setup, a small GraphQL client for acting as
// other people (staff, providers) through the public API, UI log-in, and the screenshot helper.
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test as base, expect, type Page, type TestInfo } from '@playwright/test'

export { expect }

export const PASSWORD = 'jinlin-demo'
/** Demo accounts (README): every password is jinlin-demo. */
export const DEMO = {
  communityAdmin: '13800000002', // 莲花北社区 admin: dispatches orders
  branchAdmin: '13800000003', // 观远里小区党支部 admin: publishes 观远里's projects, verifies their claims
  member: '13800000004', // party member registered at 观远里
  resident: '13800000006', // resident of 观远里
  steward: '13800000007', // steward of 观远里自管物业服务队, the compound's property team (a provider)
} as const

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** Where this run's artefacts go: $JINLIN_E2E_RESULTS (so two runs side by side keep apart), else web/test-results. */
export const RESULTS = path.resolve(WEB, process.env.JINLIN_E2E_RESULTS || 'test-results')
export const SCREENSHOTS = path.join(RESULTS, 'screenshots')

export function serverUrl(): string {
  const url = process.env.JINLIN_E2E_URL
  if (!url) throw new Error('JINLIN_E2E_URL is not set: run the tests with `npm run e2e` (global setup starts the server)')
  return url
}

type Json = Record<string, unknown>

/** One GraphQL request as a mobile client would send it (POST, Idempotency-Key on mutations). */
export async function gql<T = any>(query: string, variables: Json = {}, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Accept-Language': 'zh-CN' }
  if (token) headers.Authorization = `Bearer ${token}`
  if (/^\s*mutation\b/.test(query)) headers['Idempotency-Key'] = randomUUID()
  const res = await fetch(`${serverUrl()}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) })
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] }
  if (!res.ok || body.errors?.length || !body.data)
    throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors ?? body)}`)
  return body.data
}

/** A mutation whose payload has `errors { code message }`: returns the payload, failing on any error. */
export async function mutate(field: string, query: string, input: Json, token?: string): Promise<any> {
  const data = await gql<Record<string, any>>(query, { input }, token)
  const payload = data[field]
  if (payload?.errors?.length) throw new Error(`${field}: ${JSON.stringify(payload.errors)}`)
  return payload
}

/** An access token for a demo account, through the login mutation. */
export async function apiLogin(phone: string, password = PASSWORD): Promise<string> {
  const payload = await mutate(
    'login',
    'mutation Login($input: LoginInput!) { login(input: $input) { accessToken errors { code message } } }',
    { phone, password },
  )
  return payload.accessToken as string
}

const ORDER_FIELDS = 'order { id status } errors { code message }'

export const orders = {
  place: (token: string, input: Json) =>
    mutate('placeOrder', `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_FIELDS} } }`, input, token)
      .then((p) => p.order as { id: string; status: string }),
  dispatch: (token: string, input: Json) =>
    mutate('dispatchOrder', `mutation($input: DispatchOrderInput!) { dispatchOrder(input: $input) { ${ORDER_FIELDS} } }`, input, token),
  accept: (token: string, orderId: string) =>
    mutate('acceptOrder', `mutation($input: AcceptOrderInput!) { acceptOrder(input: $input) { ${ORDER_FIELDS} } }`, { orderId }, token),
  start: (token: string, orderId: string) =>
    mutate('startOrder', `mutation($input: StartOrderInput!) { startOrder(input: $input) { ${ORDER_FIELDS} } }`, { orderId }, token),
  complete: (token: string, orderId: string, note?: string) =>
    mutate('completeOrder', `mutation($input: CompleteOrderInput!) { completeOrder(input: $input) { ${ORDER_FIELDS} } }`, { orderId, note }, token),
  cancel: (token: string, orderId: string, reason?: string) =>
    mutate('cancelOrder', `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { ${ORDER_FIELDS} } }`, { orderId, reason }, token),
  /** The resident's compound and the provider already serving it, from the demo orders. */
  async demoTargets(residentToken: string): Promise<{ compoundId: string; providerOrgId: string }> {
    const data = await gql(
      '{ orders(first: 50) { edges { node { compound { id } provider { id } } } } }',
      {},
      residentToken,
    )
    const nodes = data.orders.edges.map((e: any) => e.node)
    const withProvider = nodes.find((n: any) => n.provider)
    if (!withProvider) throw new Error('demo data: the resident has no dispatched order to take a provider from')
    return { compoundId: withProvider.compound.id, providerOrgId: withProvider.provider.id }
  },
}

export const projects = {
  /** A new OPEN project of the org this account is ADMIN of (members may claim it by default): a claim no other test touches. */
  async publish(adminToken: string, input: Json): Promise<{ id: string }> {
    const data = await gql('{ viewer { memberships { org { id } role } } }', {}, adminToken)
    const orgId = data.viewer.memberships.find((m: any) => m.role === 'ADMIN').org.id
    const created = await mutate(
      'createProject',
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } errors { code message } } }',
      { orgId, ...input },
      adminToken,
    )
    await mutate(
      'publishProject',
      'mutation($input: PublishProjectInput!) { publishProject(input: $input) { project { id status } errors { code message } } }',
      { projectId: created.project.id },
      adminToken,
    )
    return created.project
  },
  claim: (token: string, projectId: string) =>
    mutate('claimProject', `mutation($input: ClaimProjectInput!) { claimProject(input: $input) { claim { id status } errors { code message } } }`, { projectId }, token)
      .then((p) => p.claim as { id: string; status: string }),
  reportDone: (token: string, claimId: string, hours: number, note?: string) =>
    mutate('reportClaimDone', `mutation($input: ReportClaimDoneInput!) { reportClaimDone(input: $input) { claim { id status } errors { code message } } }`, { claimId, hours, note }, token),
}

/** On the order form (/orders/new): a repair (维修服务) with this description, ready to submit. */
export async function fillOrderForm(page: Page, description: string) {
  await expect(page.locator('[data-test="order-form"]')).toBeVisible()
  await page.locator('[data-test="category"]').click()
  await page.locator('.van-picker-column__item', { hasText: '维修服务' }).click()
  await page.waitForTimeout(400) // the column scrolls to the item
  await page.locator('.van-picker__confirm').click()
  await page.locator('textarea[name="description"]').fill(description)
}

/** Log in through the login screen; lands on `next` (default the "me" screen). */
export async function uiLogin(page: Page, phone: string, password = PASSWORD, next?: string) {
  await page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login')
  await page.locator('input[name="phone"]').fill(phone)
  await page.locator('input[name="password"]').fill(password)
  await page.locator('[data-test="submit"]').click()
}

/** A full-page screenshot into test-results/screenshots/<name>.png, attached to the test's report too. */
export async function shot(page: Page, testInfo: TestInfo, name: string) {
  // Let toasts and transitions settle a little; the screenshot is an artefact, not an assertion.
  await page.waitForLoadState('networkidle').catch(() => {})
  const file = path.join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' })
  await testInfo.attach(name, { path: file, contentType: 'image/png' })
}

/**
 * Resolves once the page has sent a graphql-ws `subscribe` for the named operation (the ws frames carry the
 * operation name even when the document is persisted). Register before navigating.
 */
export function subscriptionSent(page: Page, operationName: string): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (ws) => {
      ws.on('framesent', (frame) => {
        const text = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString()
        if (text.includes('"subscribe"') && text.includes(operationName)) resolve()
      })
    })
  })
}

export const test = base.extend({
  // The server global setup started, on a port chosen at run time.
  baseURL: async ({}, use) => {
    await use(serverUrl())
  },
})
