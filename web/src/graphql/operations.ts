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
