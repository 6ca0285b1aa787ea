import { describe, expect, it } from 'vitest'
import { defineComponent } from 'vue'
import { mount } from '@vue/test-utils'
import { useI18n } from 'vue-i18n'
import LanguageSwitch from '../src/components/LanguageSwitch.vue'
import { acceptLanguage, i18n } from '../src/i18n'
import { MeDocument } from '../src/gql/graphql'
import { mockFetch, testClient } from './helpers'

const Screen = defineComponent({
  components: { LanguageSwitch },
  setup: () => ({ t: useI18n().t }),
  template: `<div><LanguageSwitch /><h1>{{ t('projects.title') }}</h1><p>{{ t('auth.login') }}</p></div>`,
})

describe('language switch', () => {
  it('starts in zh-CN and switches to English and back', async () => {
    const wrapper = mount(Screen, { global: { plugins: [i18n] } })
    expect(wrapper.find('h1').text()).toBe('身边项目')
    expect(wrapper.find('[data-test="lang-switch"]').text()).toBe('English')
    expect(acceptLanguage()).toBe('zh-CN')

    await wrapper.find('[data-test="lang-switch"]').trigger('click')
    expect(wrapper.find('h1').text()).toBe('Projects near me')
    expect(wrapper.find('p').text()).toBe('Log in')
    expect(wrapper.find('[data-test="lang-switch"]').text()).toBe('中文')
    expect(localStorage.getItem('jinlin.locale')).toBe('en')
    expect(document.documentElement.lang).toBe('en')

    await wrapper.find('[data-test="lang-switch"]').trigger('click')
    expect(wrapper.find('h1').text()).toBe('身边项目')
    expect(localStorage.getItem('jinlin.locale')).toBe('zh-CN')
  })

  it('asks the server for messages in the chosen language', async () => {
    const { fetch, sent } = mockFetch(() => ({ data: { viewer: null } }))
    const client = testClient(fetch)
    await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise()
    const wrapper = mount(LanguageSwitch, { global: { plugins: [i18n] } })
    await wrapper.trigger('click')
    await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise()
    expect(sent.map((r) => r.headers['accept-language'])).toEqual(['zh-CN', 'en'])
  })

  it('has every key in both languages', () => {
    const keys = (o: object, p = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))
    const messages = i18n.global.messages.value as Record<string, object>
    expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort())
  })
})
