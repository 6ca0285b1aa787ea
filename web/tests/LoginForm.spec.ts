import { describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import LoginForm from '../src/components/LoginForm.vue'
import { session } from '../src/auth/session'
import { mockFetch, plugins, testClient, UUID } from './helpers'

async function fillAndSubmit(wrapper: ReturnType<typeof mount>, phone: string, password: string) {
  await wrapper.find('input[name="phone"]').setValue(phone)
  await wrapper.find('input[name="password"]').setValue(password)
  await wrapper.find('form').trigger('submit')
  await flushPromises()
  await new Promise((r) => setTimeout(r, 0))
  await flushPromises()
}

describe('LoginForm', () => {
  it('submits the login mutation and keeps the tokens', async () => {
    const { fetch, sent } = mockFetch(() => ({
      data: {
        login: {
          __typename: 'AuthPayload',
          accessToken: 'access-1',
          refreshToken: 'refresh-1',
          user: { __typename: 'User', id: 'VXNlcjo1', displayName: '林党员' },
          errors: [],
        },
      },
    }))
    const wrapper = mount(LoginForm, plugins(testClient(fetch)))
    await fillAndSubmit(wrapper, '13800000004', 'jinlin-demo')

    expect(sent).toHaveLength(1)
    const [req] = sent
    expect(req.method).toBe('POST')
    expect(req.body.operationName).toBe('Login')
    expect(req.body.variables).toEqual({ input: { phone: '13800000004', password: 'jinlin-demo' } })
    expect(req.headers['idempotency-key']).toMatch(UUID)
    expect(req.headers['accept-language']).toBe('zh-CN')
    expect(req.headers.authorization).toBeUndefined()
    expect(session.accessToken).toBe('access-1')
    expect(session.refreshToken).toBe('refresh-1')
    expect(wrapper.emitted('success')?.[0]).toEqual(['VXNlcjo1'])
  })

  it("shows the server's error message and stays logged out", async () => {
    const { fetch, sent } = mockFetch(() => ({
      data: {
        login: {
          __typename: 'AuthPayload',
          accessToken: null,
          refreshToken: null,
          user: null,
          errors: [{ __typename: 'UserError', code: 'WRONG_CREDENTIALS', field: null, message: '手机号或密码不正确' }],
        },
      },
    }))
    const wrapper = mount(LoginForm, plugins(testClient(fetch)))
    await fillAndSubmit(wrapper, '13800000004', 'wrong-password')

    expect(sent).toHaveLength(1)
    expect(wrapper.find('[data-test="server-error"]').text()).toBe('手机号或密码不正确')
    expect(session.loggedIn).toBe(false)
    expect(wrapper.emitted('success')).toBeUndefined()
  })

  it('shows a top-level GraphQL error (e.g. rate limited) as the server sent it', async () => {
    const { fetch } = mockFetch(() => ({
      status: 429,
      body: { data: null, errors: [{ message: '请求过于频繁，请稍后再试', extensions: { code: 'RATE_LIMITED' } }] },
    }))
    const wrapper = mount(LoginForm, plugins(testClient(fetch)))
    await fillAndSubmit(wrapper, '13800000004', 'jinlin-demo')
    expect(wrapper.find('[data-test="server-error"]').text()).toBe('请求过于频繁，请稍后再试')
  })

  it('does not send a malformed phone number', async () => {
    const { fetch, sent } = mockFetch(() => ({}))
    const wrapper = mount(LoginForm, plugins(testClient(fetch)))
    await fillAndSubmit(wrapper, '12345', 'jinlin-demo')
    expect(sent).toHaveLength(0)
    expect(wrapper.text()).toContain('请输入正确的手机号')
  })
})
