import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import ClaimVerifyForm from '../src/components/ClaimVerifyForm.vue'
import { mockFetch, plugins, settle, testClient, UUID } from './helpers'

const claim = (status: string, extra: Record<string, unknown> = {}) => ({
  __typename: 'Claim',
  id: 'Q2xhaW06Nw==',
  status,
  reportedHours: 3,
  verifiedHours: null,
  note: '已完成',
  comment: null,
  createdAt: '2030-05-01T09:00:00+08:00',
  claimant: { __typename: 'User', id: 'VXNlcjo0', displayName: '王党员' },
  ...extra,
})

function mountForm(fetch: typeof globalThis.fetch) {
  return mount(ClaimVerifyForm, { ...plugins(testClient(fetch)), props: { claim: claim('DONE') as any }, attachTo: document.body })
}

describe('ClaimVerifyForm', () => {
  it('verifies with the edited hours and a comment, with an Idempotency-Key', async () => {
    const { fetch, sent } = mockFetch(() => ({
      data: { verifyClaim: { __typename: 'ClaimPayload', claim: claim('VERIFIED', { verifiedHours: 2.5, comment: '辛苦了' }), errors: [] } },
    }))
    const wrapper = mountForm(fetch)
    expect((wrapper.find('input[name="hours"]').element as HTMLInputElement).value).toBe('3') // the reported hours
    await wrapper.find('input[name="hours"]').setValue('2.5')
    await wrapper.find('input[name="comment"]').setValue('辛苦了')
    await wrapper.find('[data-test="verify"]').trigger('click')
    await settle()
    expect(sent).toHaveLength(1)
    expect(sent[0].body.operationName).toBe('VerifyClaim')
    expect(sent[0].headers['idempotency-key']).toMatch(UUID)
    expect(sent[0].body.variables.input).toEqual({ claimId: 'Q2xhaW06Nw==', approved: true, hours: 2.5, comment: '辛苦了' })
    expect(wrapper.emitted('updated')?.[0]?.[0]).toMatchObject({ status: 'VERIFIED', verifiedHours: 2.5 })
    wrapper.unmount()
  })

  it('rejects only with a comment, and shows the server’s refusal', async () => {
    const { fetch, sent } = mockFetch(() => ({
      data: {
        verifyClaim: {
          __typename: 'ClaimPayload',
          claim: null,
          errors: [{ __typename: 'UserError', code: 'FORBIDDEN', field: null, message: '只有发布方可以核定' }],
        },
      },
    }))
    const wrapper = mountForm(fetch)
    await wrapper.find('[data-test="reject"]').trigger('click')
    await settle()
    expect(sent).toHaveLength(0) // no comment: not sent
    await wrapper.find('input[name="comment"]').setValue('未到岗')
    await wrapper.find('[data-test="reject"]').trigger('click')
    await settle()
    expect(sent[0].body.variables.input).toEqual({ claimId: 'Q2xhaW06Nw==', approved: false, hours: null, comment: '未到岗' })
    expect(document.body.textContent).toContain('只有发布方可以核定')
    expect(wrapper.emitted('updated')).toBeUndefined()
    wrapper.unmount()
  })
})
