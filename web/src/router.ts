import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { closeToast, showLoadingToast } from 'vant'
import { session } from './auth/session'
import { i18n } from './i18n'
// The first screen of anyone signed out, so part of the startup bundle: lazy, it would cost one more round trip
// after the app's own files (2 s of latency on slow 3G) before the form shows. Every other screen loads on demand.
import LoginView from './views/LoginView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    tab?: boolean
    title?: string
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/me' },
  { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
  { path: '/signup', name: 'signup', component: () => import('./views/SignUpView.vue'), meta: { public: true } },
  { path: '/me', name: 'me', component: () => import('./views/MeView.vue'), meta: { tab: true, title: 'me.title' } },
  {
    path: '/projects',
    name: 'projects',
    component: () => import('./views/ProjectsView.vue'),
    meta: { tab: true, title: 'projects.title' },
  },
  {
    path: '/claims',
    name: 'claims',
    component: () => import('./views/MyClaimsView.vue'),
    meta: { tab: true, title: 'claims.title' },
  },
  {
    path: '/orders',
    name: 'orders',
    component: () => import('./views/OrdersView.vue'),
    meta: { tab: true, title: 'orders.title' },
  },
  {
    path: '/orders/new',
    name: 'order-new',
    component: () => import('./views/PlaceOrderView.vue'),
    meta: { title: 'placeOrder.title' },
  },
  {
    path: '/orders/:id',
    name: 'order',
    component: () => import('./views/OrderDetailView.vue'),
    props: true,
    meta: { title: 'orders.detail' },
  },
  {
    path: '/opinions',
    name: 'opinions',
    component: () => import('./views/OpinionsView.vue'),
    meta: { title: 'opinions.title' },
  },
  {
    path: '/opinions/new',
    name: 'opinion-new',
    component: () => import('./views/OpinionNewView.vue'),
    meta: { title: 'opinions.new' },
  },
  {
    path: '/opinions/:id',
    name: 'opinion',
    component: () => import('./views/OpinionDetailView.vue'),
    props: true,
    meta: { title: 'opinions.detail' },
  },
  {
    path: '/polls',
    name: 'polls',
    component: () => import('./views/PollsView.vue'),
    meta: { title: 'polls.title' },
  },
  {
    path: '/staff/orders',
    name: 'staff-orders',
    component: () => import('./views/StaffOrdersView.vue'),
    meta: { title: 'staff.ordersTitle' },
  },
  {
    path: '/orgs/:id',
    name: 'org',
    component: () => import('./views/OrgView.vue'),
    props: true,
    meta: { title: 'org.title' },
  },
  {
    path: '/orgs/:id/partner',
    name: 'org-partner',
    component: () => import('./views/PartnerView.vue'),
    props: true,
    meta: { title: 'partner.title' },
  },
  {
    path: '/orgs/:id/bookings',
    name: 'org-bookings',
    component: () => import('./views/OrgBookingsView.vue'),
    props: true,
    meta: { title: 'partner.manageBookings' },
  },
  {
    path: '/staff/projects',
    name: 'staff-projects',
    component: () => import('./views/StaffProjectsView.vue'),
    meta: { title: 'staffClaims.projectsTitle' },
  },
  {
    path: '/staff/projects/new',
    name: 'staff-project-new',
    component: () => import('./views/StaffProjectNewView.vue'),
    meta: { title: 'staffProjects.newTitle' },
  },
  {
    path: '/staff/projects/:id/claims',
    name: 'staff-claims',
    component: () => import('./views/StaffClaimsView.vue'),
    props: true,
    meta: { title: 'staffClaims.claimsTitle' },
  },
  {
    path: '/staff/opinions',
    name: 'staff-opinions',
    component: () => import('./views/StaffOpinionsView.vue'),
    meta: { title: 'staffOpinions.title' },
  },
  { path: '/:pathMatch(.*)*', redirect: '/me' },
]

/** How long a navigation may take (mostly: fetching the next screen's code on a slow network) before it shows a
 * loading toast, so that a tap never looks ignored. */
export const NAVIGATION_LOADING_DELAY_MS = 400

export function createAppRouter() {
  const router = createRouter({ history: createWebHistory(import.meta.env.BASE_URL), routes })
  let pending: ReturnType<typeof setTimeout> | undefined
  let shown = false
  const settle = () => {
    clearTimeout(pending)
    pending = undefined
    if (shown) closeToast()
    shown = false
  }
  router.beforeEach((to, from) => {
    if (!to.meta.public && !session.loggedIn) return { name: 'login', query: { next: to.fullPath } }
    if ((to.name === 'login' || to.name === 'signup') && session.loggedIn) return { name: 'me' }
    // Not on the first navigation: until the app mounts, index.html's own placeholder shows that it is loading.
    if (from.matched.length && pending === undefined && !shown)
      pending = setTimeout(() => {
        shown = true
        showLoadingToast({ message: i18n.global.t('common.loading'), duration: 0, forbidClick: false })
      }, NAVIGATION_LOADING_DELAY_MS)
    return true
  })
  router.afterEach(settle)
  router.onError(settle)
  // While a signed-out visitor types, fetch the code of the screen the login leads to (the network is idle then):
  // one round trip less between "log in" and that screen.
  router.afterEach((to, _from, failure) => {
    if (failure || to.name !== 'login') return
    const next = typeof to.query.next === 'string' && to.query.next.startsWith('/') ? to.query.next : '/me'
    for (const record of router.resolve(next).matched) {
      const view = record.components?.default
      if (typeof view === 'function') Promise.resolve((view as () => unknown)()).catch(() => undefined)
    }
  })
  return router
}
