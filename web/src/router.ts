import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { session } from './auth/session'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    tab?: boolean
    title?: string
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/me' },
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
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

export function createAppRouter() {
  const router = createRouter({ history: createWebHistory(import.meta.env.BASE_URL), routes })
  router.beforeEach((to) => {
    if (!to.meta.public && !session.loggedIn) return { name: 'login', query: { next: to.fullPath } }
    if ((to.name === 'login' || to.name === 'signup') && session.loggedIn) return { name: 'me' }
    return true
  })
  return router
}
