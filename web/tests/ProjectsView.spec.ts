import { describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ProjectsView from '../src/views/ProjectsView.vue'
import { session } from '../src/auth/session'
import { mockFetch, plugins, testClient, UUID, type Sent } from './helpers'

const project = (n: number, extra: Record<string, unknown> = {}) => ({
  __typename: 'Project',
  id: `UHJvamVjdDo${n}`,
  title: `项目 ${n}`,
  category: 'ELDERLY_CARE',
  status: 'OPEN',
  capacity: 5,
  claimedCount: 1,
  remaining: 4,
  startsAt: '2030-05-01T09:00:00+08:00',
  location: '观远里小区',
  viewerCanClaim: true,
  org: { __typename: 'Org', id: 'T3JnOjQ', name: '观远里小区党支部' },
  compound: { __typename: 'Compound', id: 'Q29tcG91bmQ6MQ', name: '观远里小区' },
  viewerClaim: null,
  ...extra,
})

const page = (nodes: unknown[], hasNextPage: boolean, endCursor: string) => ({
  data: {
    projects: {
      __typename: 'ProjectConnection',
      totalCount: 3,
      pageInfo: { __typename: 'PageInfo', hasNextPage, endCursor },
      edges: nodes.map((node, i) => ({ __typename: 'ProjectEdge', cursor: `${endCursor}-${i}`, node })),
    },
  },
})

function server(claimAnswer: (req: Sent) => unknown) {
  return mockFetch((req) => {
    if (req.body?.operationName === 'Projects') {
      return req.body.variables.after ? page([project(3)], false, 'c2') : page([project(1), project(2)], true, 'c1')
    }
    if (req.body?.operationName === 'ClaimProject') return claimAnswer(req)
    throw new Error(`unexpected ${req.body?.operationName}`)
  })
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
}

describe('ProjectsView (projects near me)', () => {
  it('loads claimable projects as persisted GET queries and pages on with the cursor', async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref' })
    const { fetch, sent } = server(() => null)
    const wrapper = mount(ProjectsView, plugins(testClient(fetch)))
    await settle()

    // van-list's infinite scroll asked for the next page with the first page's endCursor, then stopped.
    const projectRequests = sent.filter((r) => r.body?.operationName === 'Projects')
    expect(projectRequests.map((r) => r.body.variables.after)).toEqual([undefined, 'c1'])
    expect(wrapper.findAll('[data-test="project-row"]')).toHaveLength(3)
    expect(wrapper.text()).toContain('项目 1')
    expect(wrapper.text()).toContain('项目 3')
    expect(wrapper.text()).toContain('观远里小区党支部')
    expect(wrapper.text()).toContain('为老服务')
    expect(wrapper.text()).toContain('共 3 个可认领项目')
    expect(wrapper.text()).toContain('没有更多了')

    const first = sent[0]
    expect(first.method).toBe('GET')
    expect(first.url.searchParams.has('query')).toBe(false) // hash only
    expect(first.body.extensions.persistedQuery).toEqual({ version: 1, sha256Hash: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(first.body.variables).toEqual({ filter: { claimable: true }, first: 20 })
    expect(first.headers.authorization).toBe('Bearer tok')
    expect(first.headers['accept-language']).toBe('zh-CN')
    expect(first.headers['idempotency-key']).toBeUndefined()
  })

  it('claims with a fresh Idempotency-Key and shows the claim', async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref' })
    const { fetch, sent } = server((req) => ({
      data: {
        claimProject: {
          __typename: 'ClaimPayload',
          claim: { __typename: 'Claim', id: 'Q2xhaW06OQ', status: 'ACTIVE' },
          project: project(Number(req.body.variables.input.projectId.slice(-1)), {
            viewerCanClaim: false,
            claimedCount: 2,
            remaining: 3,
            viewerClaim: { __typename: 'Claim', id: 'Q2xhaW06OQ', status: 'ACTIVE' },
          }),
          errors: [],
        },
      },
    }))
    const wrapper = mount(ProjectsView, plugins(testClient(fetch)))
    await settle()

    await wrapper.findAll('[data-test="claim"]')[0].trigger('click')
    await settle()
    const claim = sent.find((r) => r.body?.operationName === 'ClaimProject')!
    expect(claim.method).toBe('POST')
    expect(claim.body.variables).toEqual({ input: { projectId: 'UHJvamVjdDo1' } })
    expect(claim.body.query).toContain('claimProject')
    expect(claim.headers['idempotency-key']).toMatch(UUID)
    expect(claim.headers.authorization).toBe('Bearer tok')

    const row = wrapper.findAll('[data-test="project-row"]')[0]
    expect(row.text()).toContain('进行中')
    expect(row.find('[data-test="withdraw"]').exists()).toBe(true)

    // Another claim is another operation: another key.
    await wrapper.findAll('[data-test="claim"]')[0].trigger('click')
    await settle()
    const keys = sent.filter((r) => r.body?.operationName === 'ClaimProject').map((r) => r.headers['idempotency-key'])
    expect(keys).toHaveLength(2)
    expect(keys[0]).not.toBe(keys[1])
  })

  it("shows the server's message when the claim is refused", async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref' })
    const { fetch } = server(() => ({
      data: {
        claimProject: {
          __typename: 'ClaimPayload',
          claim: null,
          project: null,
          errors: [{ __typename: 'UserError', code: 'CAPACITY_FULL', field: ['projectId'], message: '该项目名额已满' }],
        },
      },
    }))
    const wrapper = mount(ProjectsView, { ...plugins(testClient(fetch)), attachTo: document.body })
    await settle()
    await wrapper.findAll('[data-test="claim"]')[0].trigger('click')
    await settle()
    expect(document.body.textContent).toContain('该项目名额已满')
    wrapper.unmount()
  })
})
