import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import PollsView from '../src/views/PollsView.vue'
import { session } from '../src/auth/session'
import { mockFetch, plugins, settle, testClient, UUID, type Sent } from './helpers'

const COMPOUND = { __typename: 'Compound', id: 'Q29tcG91bmQ6MQ==', name: '观远里小区' }

const poll = (voted: boolean) => ({
  __typename: 'Poll',
  id: 'UG9sbDox',
  title: '观远里小区物业服务企业选聘',
  description: '请每户选择一家物业服务企业。',
  rule: 'DOUBLE_MAJORITY',
  quorumPercent: 67,
  opensAt: '2030-05-01T09:00:00+08:00',
  closesAt: '2030-05-15T18:00:00+08:00',
  status: 'OPEN',
  compound: COMPOUND,
  resultsVisible: false,
  options: [
    { __typename: 'PollOption', id: 'UG9sbE9wdGlvbjox', label: '嘉联物业', householdVotes: 0, areaSqm: 0 },
    { __typename: 'PollOption', id: 'UG9sbE9wdGlvbjoy', label: '鹭房物业', householdVotes: 0, areaSqm: 0 },
  ],
  eligibleHouseholds: 0,
  votedHouseholds: 0,
  quorumMet: false,
  winner: null,
  viewerHasVoted: voted,
})

let polled = false // whether the server's Polls answer says the viewer's household has voted

function server(castVote: (req: Sent, n: number) => unknown) {
  let votes = 0
  polled = false
  return mockFetch((req) => {
    switch (req.body?.operationName) {
      case 'MyHouseholds':
        return {
          data: {
            viewer: {
              __typename: 'User',
              id: 'VXNlcjo2',
              households: [{ __typename: 'Household', id: 'SG91c2Vob2xkOjE=', unit: '1号楼101室', compound: COMPOUND }],
            },
          },
        }
      case 'Polls':
        return {
          data: {
            polls: {
              __typename: 'PollConnection',
              totalCount: 1,
              pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: 'c1' },
              edges: [{ __typename: 'PollEdge', cursor: 'c1', node: poll(polled) }],
            },
          },
        }
      case 'CastVote':
        return castVote(req, ++votes)
    }
    throw new Error(`unexpected ${req.body?.operationName}`)
  })
}

describe('PollsView (vote in an open poll of my compound)', () => {
  it('casts a vote, then shows it as cast and offers no second one', async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref', userId: 'VXNlcjo2' })
    const { fetch, sent } = server((_req, n) =>
      n === 1
        ? { data: { castVote: { __typename: 'PollPayload', poll: poll(true), errors: [] } } }
        : {
            data: {
              castVote: {
                __typename: 'PollPayload',
                poll: null,
                errors: [{ __typename: 'UserError', code: 'DUPLICATE', field: ['pollId'], message: '您家已投过票' }],
              },
            },
          },
    )
    const wrapper = mount(PollsView, { ...plugins(testClient(fetch)), attachTo: document.body })
    await settle()

    const polls = sent.find((r) => r.body?.operationName === 'Polls')!
    expect(polls.method).toBe('GET')
    expect(polls.body.variables).toEqual({ filter: { status: 'OPEN' }, first: 20 })
    expect(wrapper.findAll('[data-test="poll"]')).toHaveLength(1)
    expect(wrapper.text()).toContain('观远里小区物业服务企业选聘')
    expect(wrapper.text()).toContain('户数与面积双过半')
    expect(wrapper.find('[data-test="has-voted"]').exists()).toBe(false)

    await wrapper.findAll('[data-test="poll-option"]')[1].trigger('click')
    await wrapper.find('[data-test="vote"]').trigger('click')
    await settle()
    expect(document.body.textContent).toContain('投票成功')
    expect(wrapper.find('[data-test="has-voted"]').exists()).toBe(true)
    expect(wrapper.find('[data-test="vote"]').exists()).toBe(false) // one vote per household: no second button
    wrapper.unmount()
  })

  it("a vote the server refuses as a second one (cast on another phone) shows its message and the poll as it is", async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref', userId: 'VXNlcjo2' })
    const { fetch, sent } = server((_req, n) => ({
      data: {
        castVote: {
          __typename: 'PollPayload',
          poll: null,
          errors: [{ __typename: 'UserError', code: 'DUPLICATE', field: ['pollId'], message: `您家已投过票 ${n}` }],
        },
      },
    }))
    const wrapper = mount(PollsView, { ...plugins(testClient(fetch)), attachTo: document.body })
    await settle()
    expect(wrapper.find('[data-test="has-voted"]').exists()).toBe(false)
    polled = true // from now on the server's polls say this household has voted
    await wrapper.findAll('[data-test="poll-option"]')[1].trigger('click')
    await wrapper.find('[data-test="vote"]').trigger('click')
    await settle()
    expect(document.body.textContent).toContain('您家已投过票 1')
    expect(sent.filter((r) => r.body?.operationName === 'Polls')).toHaveLength(2) // asked again after the refusal
    expect(wrapper.find('[data-test="has-voted"]').exists()).toBe(true)
    expect(wrapper.find('[data-test="vote"]').exists()).toBe(false)

    const votes = sent.filter((r) => r.body?.operationName === 'CastVote')
    expect(votes).toHaveLength(1)
    for (const v of votes) {
      expect(v.method).toBe('POST')
      expect(v.body.variables).toEqual({ input: { pollId: 'UG9sbDox', optionId: 'UG9sbE9wdGlvbjoy', householdId: null } })
      expect(v.headers.authorization).toBe('Bearer tok')
      expect(v.headers['idempotency-key']).toMatch(UUID)
    }
    wrapper.unmount()
  })

  it('asks for an option before voting', async () => {
    session.signIn({ accessToken: 'tok', refreshToken: 'ref', userId: 'VXNlcjo2' })
    const { fetch, sent } = server(() => null)
    const wrapper = mount(PollsView, { ...plugins(testClient(fetch)), attachTo: document.body })
    await settle()
    await wrapper.find('[data-test="vote"]').trigger('click')
    await settle()
    expect(document.body.textContent).toContain('请选择一个选项')
    expect(sent.some((r) => r.body?.operationName === 'CastVote')).toBe(false)
    wrapper.unmount()
  })
})
