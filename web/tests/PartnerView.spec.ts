import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import PartnerView from '../src/views/PartnerView.vue'
import { session } from '../src/auth/session'
import { mockFetch, plugins, settle, testClient, UUID } from './helpers'

const UNIT = 'T3JnOjEw'

const project = (n: number, extra: Record<string, unknown> = {}) => ({
  __typename: 'Project',
  id: `UHJvamVjdDo${n}`,
  title: `项目 ${n}`,
  category: 'ENVIRONMENT',
  status: 'OPEN',
  capacity: 5,
  claimedCount: 1,
  remaining: 4,
  startsAt: null,
  location: null,
  viewerCanClaim: true,
  org: { __typename: 'Org', id: 'T3JnOjQ', name: '莲花北社区' },
  compound: null,
  viewerClaim: null,
  ...extra,
})

describe('PartnerView (partner unit workbench)', () => {
  it('claims a project on behalf of the unit (onBehalfOfOrgId) with an Idempotency-Key', async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref' })
    const { fetch, sent } = mockFetch((req) => {
      const op = req.body?.operationName
      if (op === 'Projects')
        return {
          data: {
            projects: {
              __typename: 'ProjectConnection',
              totalCount: 1,
              pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: 'c1' },
              edges: [{ __typename: 'ProjectEdge', cursor: 'c1', node: project(1) }],
            },
          },
        }
      if (op === 'DutyShifts')
        return {
          data: {
            dutyShifts: {
              __typename: 'DutyShiftConnection',
              totalCount: 0,
              pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
              edges: [],
            },
          },
        }
      if (op === 'ClaimProject')
        return {
          data: {
            claimProject: {
              __typename: 'ClaimPayload',
              claim: { __typename: 'Claim', id: 'Q2xhaW06OQ', status: 'ACTIVE' },
              project: project(1, { claimedCount: 2, remaining: 3 }),
              errors: [],
            },
          },
        }
      throw new Error(`unexpected ${op}`)
    })
    const wrapper = mount(PartnerView, { ...plugins(testClient(fetch)), props: { id: UNIT } })
    await settle()

    // Under a loaded test run the first page can take more than one settle: wait for it.
    await vi.waitFor(() => expect(wrapper.findAll('[data-test="unit-project-row"]')).toHaveLength(1), { timeout: 3000 })
    await wrapper.find('[data-test="claim-for-unit"]').trigger('click')
    await settle()
    await vi.waitFor(() => expect(wrapper.find('[data-test="unit-project-row"]').text()).toContain('已为单位认领'), { timeout: 3000 })

    const claim = sent.find((r) => r.body?.operationName === 'ClaimProject')!
    expect(claim.method).toBe('POST')
    expect(claim.body.variables).toEqual({ input: { projectId: 'UHJvamVjdDo1', onBehalfOfOrgId: UNIT } })
    expect(claim.headers['idempotency-key']).toMatch(UUID)
    const row = wrapper.find('[data-test="unit-project-row"]')
    expect(row.text()).toContain('已为单位认领')
    expect(row.text()).toContain('剩余 3 / 5')
    expect(row.find('[data-test="claim-for-unit"]').attributes('disabled')).toBeDefined()
  })
})
