import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import vantEnUS from 'vant/es/locale/lang/en-US'
import zhCN from './zh-CN'
import en from './en'

export type AppLocale = 'zh-CN' | 'en'
export const LOCALES: AppLocale[] = ['zh-CN', 'en']
const KEY = 'jinlin.locale'

function initialLocale(): AppLocale {
  try {
    const saved = globalThis.localStorage?.getItem(KEY)
    if (saved === 'en' || saved === 'zh-CN') return saved
  } catch {
    /* ignore */
  }
  return 'zh-CN' // the default, whatever the browser says
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

/** The Accept-Language the app sends, so that the server's messages come in the interface's language. */
export function acceptLanguage(): string {
  return i18n.global.locale.value === 'en' ? 'en' : 'zh-CN'
}

function applyVantLocale(locale: AppLocale) {
  if (locale === 'en') Locale.use('en-US', vantEnUS)
  else Locale.use('zh-CN', vantZhCN)
}

export function setLocale(locale: AppLocale) {
  i18n.global.locale.value = locale
  applyVantLocale(locale)
  try {
    globalThis.localStorage?.setItem(KEY, locale)
  } catch {
    /* ignore */
  }
  if (globalThis.document) document.documentElement.lang = locale
}

applyVantLocale(i18n.global.locale.value as AppLocale)
