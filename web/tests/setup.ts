import { beforeEach } from 'vitest'
import { session } from '../src/auth/session'
import { setLocale } from '../src/i18n'

beforeEach(() => {
  localStorage.clear()
  session.clear()
  setLocale('zh-CN')
})

// Vant keeps one toast instance mounted in <body> for the whole run: the body is not wiped between tests.
