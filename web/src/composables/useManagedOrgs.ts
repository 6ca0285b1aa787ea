import { computed } from 'vue'
import { useQuery } from '@urql/vue'
import { MeDocument, type MeQuery, type OrgKind } from '../gql/graphql'

export type ManagedOrg = NonNullable<MeQuery['viewer']>['memberships'][number]['org']

/** Levels whose staff dispatch orders of the compounds below them. */
export const DISPATCHING_KINDS: readonly OrgKind[] = ['DISTRICT', 'STREET_COMMITTEE', 'COMMUNITY_COMMITTEE']

/**
 * The orgs the viewer manages: `viewer.memberships` with role ADMIN or STAFF. Staff screens show only for them;
 * the server still decides every action.
 */
export function useManagedOrgs() {
  const me = useQuery({ query: MeDocument, requestPolicy: 'cache-and-network' })
  const orgs = computed<ManagedOrg[]>(() =>
    (me.data.value?.viewer?.memberships ?? []).filter((m) => m.role === 'ADMIN' || m.role === 'STAFF').map((m) => m.org),
  )
  const ids = computed(() => orgs.value.map((o) => o.id))
  const canDispatch = computed(() => orgs.value.some((o) => DISPATCHING_KINDS.includes(o.kind)))
  return { me, orgs, ids, canDispatch }
}
