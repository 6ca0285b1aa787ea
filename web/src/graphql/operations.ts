// Every operation the app sends. `npm run codegen` turns them into typed documents in src/gql/.
import { graphql } from '../gql'

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    code
    field
    message
  }
`)

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      accessToken
      refreshToken
      user { id displayName }
      errors { ...UserErrorFields }
    }
  }
`)

export const SignUpMutation = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      accessToken
      refreshToken
      user { id displayName }
      errors { ...UserErrorFields }
    }
  }
`)

export const RefreshTokenMutation = graphql(`
  mutation RefreshToken($input: RefreshTokenInput!) {
    refreshToken(input: $input) {
      accessToken
      refreshToken
      errors { ...UserErrorFields }
    }
  }
`)

export const LogoutMutation = graphql(`
  mutation Logout($input: LogoutInput!) {
    logout(input: $input) {
      ok
      errors { ...UserErrorFields }
    }
  }
`)

export const MeQuery = graphql(`
  query Me {
    viewer {
      id
      displayName
      phone
      serviceHours
      unreadNotificationCount
      memberships { role org { id name kind } }
      registration { id memberType workUnit registeredAt active branch { id name } }
    }
  }
`)

export const NotificationsQuery = graphql(`
  query Notifications($first: Int, $after: String) {
    viewer {
      id
      notifications(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id kind message read createdAt project { id title } }
      }
    }
  }
`)

export const ProjectRowFields = graphql(`
  fragment ProjectRow on Project {
    id
    title
    category
    status
    capacity
    claimedCount
    remaining
    startsAt
    location
    viewerCanClaim
    org { id name }
    compound { id name }
    viewerClaim { id status }
  }
`)

export const ProjectsQuery = graphql(`
  query Projects($filter: ProjectFilter, $first: Int, $after: String) {
    projects(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...ProjectRow } }
    }
  }
`)

export const ClaimProjectMutation = graphql(`
  mutation ClaimProject($input: ClaimProjectInput!) {
    claimProject(input: $input) {
      claim { id status }
      project { ...ProjectRow }
      errors { ...UserErrorFields }
    }
  }
`)

export const WithdrawClaimMutation = graphql(`
  mutation WithdrawClaim($input: WithdrawClaimInput!) {
    withdrawClaim(input: $input) {
      claim { id status }
      project { ...ProjectRow }
      errors { ...UserErrorFields }
    }
  }
`)

export const MyClaimsQuery = graphql(`
  query MyClaims($first: Int, $after: String) {
    viewer {
      id
      claims(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node {
            id
            status
            reportedHours
            verifiedHours
            createdAt
            project { id title status org { id name } }
          }
        }
      }
    }
  }
`)

export const OrderEventFields = graphql(`
  fragment OrderEventFields on OrderEvent {
    action
    status
    note
    at
    priceFen
    actor { id displayName }
    provider { id name }
  }
`)

export const MyOrdersQuery = graphql(`
  query MyOrders($first: Int, $after: String) {
    orders(filter: { mine: true }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id
          status
          category
          description
          createdAt
          compound { id name }
          latestEvent { ...OrderEventFields }
        }
      }
    }
  }
`)

export const OrderDetailFields = graphql(`
  fragment OrderDetail on Order {
    id
    status
    category
    description
    preferredTime
    priceFen
    rating
    comment
    createdAt
    updatedAt
    compound { id name }
    provider { id name }
    events { ...OrderEventFields }
    photos { url width height }
    resident { id }
  }
`)

export const OrderQuery = graphql(`
  query Order($id: ID!) {
    node(id: $id) {
      __typename
      ... on Order { ...OrderDetail }
    }
  }
`)

export const OrderUpdatedSubscription = graphql(`
  subscription OrderUpdated($orderId: ID!) {
    orderUpdated(orderId: $orderId) { ...OrderDetail }
  }
`)

// ---- Resident: place an order, confirm / cancel it, opinions (听邻说事), polls ----

/** The viewer's households (where they live): the compounds they may order for, vote in and write about. */
export const MyHouseholdsQuery = graphql(`
  query MyHouseholds {
    viewer {
      id
      households { id unit compound { id name } }
    }
  }
`)

/** Photos (`File`s in `input.photos`) make urql's fetch exchange send a GraphQL multipart request. */
export const PlaceOrderMutation = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      order { ...OrderDetail }
      errors { ...UserErrorFields }
    }
  }
`)

export const ConfirmOrderMutation = graphql(`
  mutation ConfirmOrder($input: ConfirmOrderInput!) {
    confirmOrder(input: $input) {
      order { ...OrderDetail }
      errors { ...UserErrorFields }
    }
  }
`)

export const CancelOrderMutation = graphql(`
  mutation CancelOrder($input: CancelOrderInput!) {
    cancelOrder(input: $input) {
      order { ...OrderDetail }
      errors { ...UserErrorFields }
    }
  }
`)

export const OpinionRowFields = graphql(`
  fragment OpinionRow on Opinion {
    id
    text
    category
    status
    anonymous
    createdAt
    firstReplyAt
    compound { id name }
    org { id name }
    replies { text createdAt org { id name } }
  }
`)

export const OpinionDetailFields = graphql(`
  fragment OpinionDetail on Opinion {
    ...OpinionRow
    closedAt
    assignee { id name }
    photos { url width height }
  }
`)

export const MyOpinionsQuery = graphql(`
  query MyOpinions($first: Int, $after: String) {
    opinions(filter: { mine: true }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...OpinionRow } }
    }
  }
`)

export const OpinionQuery = graphql(`
  query Opinion($id: ID!) {
    node(id: $id) {
      __typename
      ... on Opinion { ...OpinionDetail }
    }
  }
`)

export const SubmitOpinionMutation = graphql(`
  mutation SubmitOpinion($input: SubmitOpinionInput!) {
    submitOpinion(input: $input) {
      opinion { ...OpinionDetail }
      errors { ...UserErrorFields }
    }
  }
`)

export const PollRowFields = graphql(`
  fragment PollRow on Poll {
    id
    title
    description
    rule
    quorumPercent
    opensAt
    closesAt
    status
    compound { id name }
    resultsVisible
    options { id label householdVotes areaSqm }
    eligibleHouseholds
    votedHouseholds
    quorumMet
    winner { id label }
    viewerHasVoted
  }
`)

export const PollsQuery = graphql(`
  query Polls($filter: PollFilter, $first: Int, $after: String) {
    polls(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...PollRow } }
    }
  }
`)

export const CastVoteMutation = graphql(`
  mutation CastVote($input: CastVoteInput!) {
    castVote(input: $input) {
      poll { ...PollRow }
      errors { ...UserErrorFields }
    }
  }
`)
