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

  it("shows the server's message when a duty check-in is refused", async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref' })
    const shift = {
      __typename: 'DutyShift', id: 'RHV0eVNoaWZ0OjQ', date: '2026-11-28', checkedIn: false, checkedInAt: null,
      viewerCanCheckIn: true, centre: { __typename: 'Org', id: 'T3JnOjI', name: '嘉莲街道' },
      unit: { __typename: 'Org', id: UNIT, name: '厦门市捷安集团党支部' },
    }
    const connection = (typename: string, nodes: unknown[]) => ({
      __typename: `${typename}Connection`,
      totalCount: nodes.length,
      pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
      edges: nodes.map((node, i) => ({ __typename: `${typename}Edge`, cursor: `c${i}`, node })),
    })
    const { fetch, sent } = mockFetch((req) => {
      const op = req.body?.operationName
      if (op === 'Projects') return { data: { projects: connection('Project', []) } }
      if (op === 'DutyShifts') return { data: { dutyShifts: connection('DutyShift', [shift]) } }
      if (op === 'CheckInDuty')
        return {
          data: {
            checkInDuty: {
              __typename: 'DutyShiftPayload',
              shift: null,
              errors: [{ __typename: 'UserError', code: 'INVALID_STATE', field: ['shiftId'], message: '该班次已签到' }],
            },
          },
        }
      throw new Error(`unexpected ${op}`)
    })
    const wrapper = mount(PartnerView, { ...plugins(testClient(fetch)), props: { id: UNIT }, attachTo: document.body })
    await settle()
    await wrapper.findAll('.van-tab')[1].trigger('click') // 轮值驻点
    await settle()
    await vi.waitFor(() => expect(wrapper.find('[data-test="check-in"]').exists()).toBe(true), { timeout: 3000 })
    await wrapper.find('[data-test="check-in"]').trigger('click')
    await settle()
    await vi.waitFor(() => expect(document.body.textContent).toContain('该班次已签到'), { timeout: 3000 })
    const checkIn = sent.find((r) => r.body?.operationName === 'CheckInDuty')!
    expect(checkIn.body.variables).toEqual({ input: { shiftId: shift.id } })
    expect(checkIn.headers['idempotency-key']).toMatch(UUID)
    expect(wrapper.find('[data-test="check-in"]').exists()).toBe(true) // nothing changed: the row still offers it
    wrapper.unmount()
  })
})
