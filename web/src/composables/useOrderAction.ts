import type { AnyVariables, TypedDocumentNode } from '@urql/core'
import { showSuccessToast } from 'vant'
import type { OrderAnswerFragment, OrderDetailFragment } from '../gql/graphql'
import { toastFailure } from '../graphql/errors'
import { useMutationAction } from './useMutationAction'

/**
 * Every order mutation (dispatch, accept, …, confirm, cancel) answers an OrderAnswer: one runner sends any of them,
 * shows the outcome as a toast and hands on the fresh order, or the refusal (the order may have moved on meanwhile).
 */
export function useOrderAction(updated: (order: OrderDetailFragment) => void, refused: () => void) {
  const action = useMutationAction()

  async function run<Data, Vars extends AnyVariables>(
    name: string,
    mutation: TypedDocumentNode<Data, Vars>,
    variables: Vars,
    answerOf: (data: Data) => OrderAnswerFragment,
    done: string,
  ) {
    const answer = await action.run(name, mutation, variables, answerOf)
    if (!answer?.order) {
      if (answer) toastFailure(null) // no user error, yet no order: say so all the same
      refused()
      return
    }
    updated(answer.order)
    showSuccessToast(done)
  }

  return { busy: action.busy, run }
}
