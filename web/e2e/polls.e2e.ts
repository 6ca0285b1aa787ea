// 电子投票: one vote per household. The resident's household (观远里 1号楼101室) is the only one any test votes for
// (the member lives in another household and never votes here), so this file owns that vote in the shared run.
import type { Page } from '@playwright/test'
import { DEMO, apiLogin, expect, gql, shot, test, uiLogin } from './fixtures'

const POLL = '观远里小区物业服务企业选聘' // the demo seed's open poll in 观远里

const pollCard = (page: Page) => page.locator('[data-test="poll"]', { hasText: POLL })

test('the resident votes once; a second vote from a stale tab is refused with the server’s message', async ({ page }, testInfo) => {
  await uiLogin(page, DEMO.resident)
  await expect(page).toHaveURL(/\/me$/)
  await page.locator('[data-test="resident-links"] .van-cell', { hasText: '小区投票' }).click()
  await expect(page).toHaveURL(/\/polls$/)
  await expect(pollCard(page)).toBeVisible()
  await expect(pollCard(page).locator('[data-test="has-voted"]')).toHaveCount(0)

  // A second tab of the same session, opened before the vote: it knows nothing of it and still offers the button.
  const stale = await page.context().newPage()
  await stale.goto('/polls')
  await expect(pollCard(stale).locator('[data-test="vote"]')).toBeVisible()
  await expect(pollCard(stale).locator('[data-test="has-voted"]')).toHaveCount(0)
  await shot(page, testInfo, '41-polls')

  await pollCard(page).locator('[data-test="poll-option"]', { hasText: '继续业主自治管理' }).click()
  await pollCard(page).locator('[data-test="vote"]').click()
  await expect(page.locator('.van-toast')).toContainText('投票成功')
  await expect(pollCard(page).locator('[data-test="has-voted"]')).toBeVisible()
  await expect(pollCard(page).locator('[data-test="vote"]')).toHaveCount(0) // one household, one vote: no button
  await shot(page, testInfo, '42-polls-voted')

  // The stale tab tries again, for another option: the server refuses (DUPLICATE) and its message is shown.
  await pollCard(stale).locator('[data-test="poll-option"]', { hasText: '厦门市嘉联物业服务有限公司' }).click()
  await pollCard(stale).locator('[data-test="vote"]').click()
  await expect(stale.locator('.van-toast')).toContainText('您家已投过票')
  await shot(stale, testInfo, '43-polls-second-vote-refused')
  // ... and the tab asks again, so it shows the vote as cast and offers no button any more.
  await expect(pollCard(stale).locator('[data-test="has-voted"]')).toBeVisible()
  await expect(pollCard(stale).locator('[data-test="vote"]')).toHaveCount(0)
  await stale.close()

  // After a reload the first tab shows the vote as cast, from the server.
  await page.reload()
  await expect(pollCard(page).locator('[data-test="has-voted"]')).toHaveText('已投票')

  // Through the API too: that text is the server's answer to a second vote, with the DUPLICATE code.
  const resident = await apiLogin(DEMO.resident)
  const { polls } = await gql(
    '{ polls(filter: { status: OPEN }, first: 20) { edges { node { id title viewerHasVoted options { id } } } } }',
    {},
    resident,
  )
  const poll = polls.edges.map((e: any) => e.node).find((p: any) => p.title === POLL)
  expect(poll.viewerHasVoted).toBe(true)
  const again = await gql(
    'mutation($input: CastVoteInput!) { castVote(input: $input) { poll { id } errors { code message } } }',
    { input: { pollId: poll.id, optionId: poll.options[1].id } },
    resident,
  )
  expect(again.castVote.poll).toBeNull()
  expect(again.castVote.errors).toEqual([expect.objectContaining({ code: 'DUPLICATE', message: '您家已投过票' })])
})
