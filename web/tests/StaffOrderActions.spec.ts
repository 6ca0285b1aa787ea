import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import StaffOrderActions from '../src/components/StaffOrderActions.vue'
import { mockFetch, plugins, settle, testClient, UUID, type Sent } from './helpers'

const COMPOUND = 'Q29tcG91bmQ6MQ=='
const TEAM = 'T3JnOjEy'
const order = (status: string, provider: string | null = null) => ({
  __typename: 'Order',
  id: 'T3JkZXI6OA==',
  status,
  category: 'REPAIR',
  description: '卫生间漏水',
  preferredTime: null,
  priceFen: provider ? 5000 : null,
  rating: null,
  comment: null,
  createdAt: '2030-05-01T09:00:00+08:00',
  updatedAt: '2030-05-01T09:00:00+08:00',
  compound: { __typename: 'Compound', id: COMPOUND, name: '观远里小区' },
  provider: provider ? { __typename: 'Org', id: provider, name: '观远里自管物业服务队' } : null,
  events: [],
  photos: [],
  resident: { __typename: 'User', id: 'VXNlcjo2' },
})
const offerings = {
  data: {
    serviceOfferings: {
      __typename: 'ServiceOfferingConnection',
      nodes: [
        { __typename: 'ServiceOffering', id: 'U086Mg==', title: '楼道深度保洁', category: 'ENVIRONMENT', priceFen: 8000, unit: '次',
          provider: { __typename: 'Org', id: TEAM, name: '观远里自管物业服务队' } },
        { __typename: 'ServiceOffering', id: 'U086MQ==', title: '家电维修上门服务', category: 'REPAIR', priceFen: 3000, unit: '次',
          provider: { __typename: 'Org', id: TEAM, name: '观远里自管物业服务队' } },
      ],
    },
  },
}

function server(mutation: (req: Sent) => unknown) {
  return mockFetch((req) => {
    if (req.body?.operationName === 'DispatchOfferings') return offerings
    return mutation(req)
  })
}

function mountActions(fetch: typeof globalThis.fetch, props: any) {
  return mount(StaffOrderActions, { ...plugins(testClient(fetch)), props, attachTo: document.body })
}

describe('StaffOrderActions', () => {
  it('dispatches a submitted order to the chosen offering’s provider at the typed price, with an Idempotency-Key', async () => {
    const { fetch, sent } = server(() => ({
      data: { dispatchOrder: { __typename: 'OrderPayload', order: order('DISPATCHED', TEAM), errors: [] } },
    }))
    const wrapper = mountActions(fetch, { order: order('SUBMITTED'), canDispatch: true, managedOrgIds: ['T3JnOjI='] })
    await settle()
    const rows = wrapper.findAll('[data-test="offering"]')
    expect(rows).toHaveLength(2)
    expect(rows[0].text()).toContain('家电维修上门服务') // the order's category first
    await rows[0].trigger('click')
    await wrapper.find('input[name="price"]').setValue('50')
    await wrapper.find('[data-test="dispatch"]').trigger('click')
    await settle()
    const dispatch = sent.find((r) => r.body?.operationName === 'DispatchOrder')!
    expect(dispatch.method).toBe('POST')
    expect(dispatch.headers['idempotency-key']).toMatch(UUID)
    expect(dispatch.body.variables.input).toEqual({ orderId: 'T3JkZXI6OA==', providerOrgId: TEAM, priceFen: 5000 })
    expect(wrapper.emitted('updated')?.[0]?.[0]).toMatchObject({ status: 'DISPATCHED' })
    wrapper.unmount()
  })

  it('uses the offering’s price when none is typed, and shows the server’s refusal', async () => {
    const { fetch, sent } = server(() => ({
      data: {
        dispatchOrder: {
          __typename: 'OrderPayload',
          order: null,
          errors: [{ __typename: 'UserError', code: 'INVALID_STATE', field: null, message: '订单已被派出' }],
        },
      },
    }))
    const wrapper = mountActions(fetch, { order: order('SUBMITTED'), canDispatch: true, managedOrgIds: [] })
    await settle()
    await wrapper.findAll('[data-test="offering"]')[1].trigger('click')
    await wrapper.find('[data-test="dispatch"]').trigger('click')
    await settle()
    const dispatch = sent.find((r) => r.body?.operationName === 'DispatchOrder')!
    expect(dispatch.body.variables.input.priceFen).toBe(8000)
    expect(document.body.textContent).toContain('订单已被派出')
    expect(wrapper.emitted('refused')).toHaveLength(1)
    wrapper.unmount()
  })

  it('offers no dispatch without the right, and accept / decline only to the provider’s managers', async () => {
    const { fetch } = server(() => ({
      data: { acceptOrder: { __typename: 'OrderPayload', order: order('ACCEPTED', TEAM), errors: [] } },
    }))
    const outsider = mountActions(fetch, { order: order('DISPATCHED', TEAM), canDispatch: false, managedOrgIds: ['T3JnOjk5'] })
    expect(outsider.find('[data-test="dispatch-form"]').exists()).toBe(false)
    expect(outsider.find('[data-test="accept"]').exists()).toBe(false)
    outsider.unmount()
    const steward = mountActions(fetch, { order: order('DISPATCHED', TEAM), canDispatch: false, managedOrgIds: [TEAM] })
    await steward.find('[data-test="accept"]').trigger('click')
    await settle()
    expect(steward.emitted('updated')?.[0]?.[0]).toMatchObject({ status: 'ACCEPTED' })
    steward.unmount()
  })
})
