// The signed-in session: tokens kept in localStorage, reactive for the UI.
import { reactive, readonly } from 'vue'

const KEY = 'jinlin.session'

export interface SessionData {
  accessToken: string | null
  refreshToken: string | null
  userId: string | null
  displayName: string | null
}

/** An AuthPayload as login and signUp answer it. */
export interface SignedInAnswer {
  accessToken: string
  refreshToken?: string | null
  user?: { id: string; displayName: string } | null
}

const empty = (): SessionData => ({ accessToken: null, refreshToken: null, userId: null, displayName: null })

function load(): SessionData {
  try {
    const raw = globalThis.localStorage?.getItem(KEY)
    return raw ? { ...empty(), ...JSON.parse(raw) } : empty()
  } catch {
    return empty()
  }
}

const state = reactive<SessionData>(load())
const listeners = new Set<(s: SessionData) => void>()

function persist() {
  try {
    if (state.accessToken || state.refreshToken) globalThis.localStorage?.setItem(KEY, JSON.stringify(state))
    else globalThis.localStorage?.removeItem(KEY)
  } catch {
    /* private mode: keep the session in memory only */
  }
  listeners.forEach((fn) => fn(state))
}

export const session = {
  state: readonly(state),
  get accessToken() {
    return state.accessToken
  },
  get refreshToken() {
    return state.refreshToken
  },
  get loggedIn() {
    return !!state.accessToken
  },
  signIn(data: Partial<SessionData>) {
    Object.assign(state, data)
    persist()
  },
  /** Sign in with what login or signUp answered (the SignedIn fragment): its tokens and who it is. */
  signInWith(answer: SignedInAnswer) {
    this.signIn({
      accessToken: answer.accessToken,
      refreshToken: answer.refreshToken ?? null,
      userId: answer.user?.id ?? null,
      displayName: answer.user?.displayName ?? null,
    })
  },
  setTokens(accessToken: string, refreshToken: string) {
    state.accessToken = accessToken
    state.refreshToken = refreshToken
    persist()
  },
  clear() {
    Object.assign(state, empty())
    persist()
  },
  /** Called after every change (the websocket reconnects with the new token). */
  onChange(fn: (s: SessionData) => void) {
    listeners.add(fn)
    return () => listeners.delete(fn)
  },
  /** Seconds until the access token's `exp`, or null when there is none or it cannot be read. */
  accessTokenTtl(now = Date.now()): number | null {
    const token = state.accessToken
    if (!token) return null
    try {
      const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
      return typeof payload.exp === 'number' ? payload.exp - now / 1000 : null
    } catch {
      return null
    }
  },
}
