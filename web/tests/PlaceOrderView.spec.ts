import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import PlaceOrderView from '../src/views/PlaceOrderView.vue'
import { session } from '../src/auth/session'
import { routes } from '../src/router'
import { mockFetch, plugins, settle, testClient, UUID, type Sent } from './helpers'

const COMPOUND = 'Q29tcG91bmQ6MQ=='
const households = {
  data: {
    viewer: {
      __typename: 'User',
      id: 'VXNlcjo2',
      households: [
        {
          __typename: 'Household',
          id: 'SG91c2Vob2xkOjE=',
          unit: '1号楼101室',
          compound: { __typename: 'Compound', id: COMPOUND, name: '观远里小区' },
        },
      ],
    },
  },
}

const order = (photos: number) => ({
  __typename: 'Order',
  id: 'T3JkZXI6OA==',
  status: 'SUBMITTED',
  category: 'REPAIR',
  description: '卫生间漏水',
  preferredTime: null,
  priceFen: null,
  rating: null,
  comment: null,
  createdAt: '2030-05-01T09:00:00+08:00',
  updatedAt: '2030-05-01T09:00:00+08:00',
  compound: { __typename: 'Compound', id: COMPOUND, name: '观远里小区' },
  provider: null,
  events: [],
  photos: Array.from({ length: photos }, (_, i) => ({ __typename: 'Photo', url: `/photos/${i}.jpg`, width: 1, height: 1 })),
  resident: { __typename: 'User', id: 'VXNlcjo2' },
})

function server(placeOrder: (req: Sent) => unknown) {
  return mockFetch((req) => {
    if (req.body?.operationName === 'MyHouseholds') return households
    if (req.body?.operationName === 'PlaceOrder') return placeOrder(req)
    throw new Error(`unexpected ${req.body?.operationName}`)
  })
}

function mountForm(fetch: typeof globalThis.fetch) {
  const router = createRouter({ history: createMemoryHistory(), routes })
  const replace = vi.spyOn(router, 'replace').mockResolvedValue(undefined)
  const base = plugins(testClient(fetch))
  const wrapper = mount(PlaceOrderView, {
    global: { plugins: [...base.global.plugins, router] },
    attachTo: document.body,
  })
  return { wrapper, replace }
}

const jpeg = (name: string) => new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], name, { type: 'image/jpeg' })

async function fill(wrapper: ReturnType<typeof mount>, files: File[]) {
  await wrapper.find('[data-test="category"]').trigger('click')
  await settle()
  wrapper.findComponent({ name: 'van-picker' }).vm.$emit('confirm', { selectedValues: ['REPAIR'] })
  await wrapper.find('textarea[name="description"]').setValue('  卫生间漏水 ')
  await wrapper.find('input[name="preferredTime"]').setValue('2030-05-02T14:30')
  if (files.length) {
    const input = wrapper.find('input[type="file"]')
    Object.defineProperty(input.element, 'files', { value: files, configurable: true })
    await input.trigger('change')
  }
  await settle()
}

describe('PlaceOrderView (place an order)', () => {
  it('sends the order and its photos as a GraphQL multipart request, then opens the order', async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref', userId: 'VXNlcjo2' })
    const { fetch, sent } = server(() => ({
      data: { placeOrder: { __typename: 'OrderPayload', order: order(2), errors: [] } },
    }))
    const { wrapper, replace } = mountForm(fetch)
    await settle()
    // The compound comes from the resident's household.
    expect((wrapper.find('[data-test="compound"] input').element as HTMLInputElement).value).toBe('观远里小区')

    await fill(wrapper, [jpeg('leak.jpg'), jpeg('pipe.jpg')])
    expect(wrapper.findAll('.van-uploader__preview')).toHaveLength(2)
    await wrapper.find('form').trigger('submit')
    await settle()

    const req = sent.find((r) => r.body?.operationName === 'PlaceOrder')!
    expect(req.method).toBe('POST')
    expect(req.form).toBeInstanceOf(FormData)
    // operations: the files are null in the variables; map: part name -> variable path; then the files.
    expect(req.body.query).toContain('placeOrder')
    expect(req.body.variables.input).toEqual({
      compoundId: COMPOUND,
      category: 'REPAIR',
      description: '卫生间漏水',
      preferredTime: expect.stringMatching(/^2030-05-02T14:30:00[+-]\d\d:\d\d$/),
      photos: [null, null],
    })
    expect(JSON.parse(String(req.form!.get('map')))).toEqual({
      0: ['variables.input.photos.0'],
      1: ['variables.input.photos.1'],
    })
    const parts = [req.form!.get('0'), req.form!.get('1')] as File[]
    expect(parts.map((f) => f.name)).toEqual(['leak.jpg', 'pipe.jpg'])
    expect(parts[0]).toBeInstanceOf(Blob)
    // The upload carries the token (the server refuses a multipart POST without it) and an Idempotency-Key;
    // fetch sets the multipart content type with its boundary, so none is forced here.
    expect(req.headers.authorization).toBe('Bearer tok')
    expect(req.headers['idempotency-key']).toMatch(UUID)
    expect(req.headers['content-type']).toBeUndefined()

    expect(replace).toHaveBeenCalledWith({ name: 'order', params: { id: 'T3JkZXI6OA==' } })
    wrapper.unmount()
  })

  it('sends plain JSON without photos', async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref', userId: 'VXNlcjo2' })
    const { fetch, sent } = server(() => ({
      data: { placeOrder: { __typename: 'OrderPayload', order: order(0), errors: [] } },
    }))
    const { wrapper } = mountForm(fetch)
    await settle()
    await fill(wrapper, [])
    await wrapper.find('form').trigger('submit')
    await settle()
    const req = sent.find((r) => r.body?.operationName === 'PlaceOrder')!
    expect(req.form).toBeUndefined()
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.body.variables.input.photos).toBeUndefined()
    wrapper.unmount()
  })

  it("shows the server's message for a refused photo and stays on the form", async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref', userId: 'VXNlcjo2' })
    const { fetch } = server(() => ({
      data: {
        placeOrder: {
          __typename: 'OrderPayload',
          order: null,
          errors: [{ __typename: 'UserError', code: 'INVALID', field: ['photos', '0'], message: '第 1 张照片不是 JPEG、PNG 或 WebP 图片' }],
        },
      },
    }))
    const { wrapper, replace } = mountForm(fetch)
    await settle()
    await fill(wrapper, [jpeg('x.jpg')])
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(wrapper.find('[data-test="server-error"]').text()).toBe('第 1 张照片不是 JPEG、PNG 或 WebP 图片')
    expect(replace).not.toHaveBeenCalled()
    wrapper.unmount()
  })
})
