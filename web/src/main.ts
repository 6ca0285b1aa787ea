import { createApp } from 'vue'
import urql from '@urql/vue'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import './style.css'
import App from './App.vue'
import { createAppRouter } from './router'
import { i18n } from './i18n'
import { createJinlinClient } from './graphql/client'
import { showToast } from 'vant'

const router = createAppRouter()
const client = createJinlinClient({
  onSessionExpired() {
    showToast(i18n.global.t('auth.expired'))
    const current = router.currentRoute.value
    if (!current.meta.public) router.replace({ name: 'login', query: { next: current.fullPath } })
  },
})

const app = createApp(App).use(i18n).use(router).use(urql, client)
// Mount once the first screen's code is in (a lazy route's chunk may take seconds on a slow network): until then
// index.html's placeholder inside #app keeps showing that the app is loading, instead of a bare header.
router
  .isReady()
  .catch(() => undefined) // a failed first navigation: mount anyway (router.onError has settled it)
  .then(() => app.mount('#app'))
