// Every operation the app sends. `npm run codegen` turns them into typed documents in src/gql/.
import { graphql } from '../gql'

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    code
    field
    message
  }
`)

/** What signing in or up answers (AuthPayload): the tokens and who it is. */
export const SignedInFields = graphql(`
  fragment SignedIn on AuthPayload {
    accessToken
    refreshToken
    user { id displayName }
    errors { ...UserErrorFields }
  }
`)

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { ...SignedIn }
  }
`)

export const SignUpMutation = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { ...SignedIn }
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

/** What claiming a project or withdrawing the claim answers (ClaimPayload): the claim and the project's new row. */
export const ClaimAnswerFields = graphql(`
  fragment ClaimAnswer on ClaimPayload {
    claim { id status }
    project { ...ProjectRow }
    errors { ...UserErrorFields }
  }
`)

export const ClaimProjectMutation = graphql(`
  mutation ClaimProject($input: ClaimProjectInput!) {
    claimProject(input: $input) { ...ClaimAnswer }
  }
`)

export const WithdrawClaimMutation = graphql(`
  mutation WithdrawClaim($input: WithdrawClaimInput!) {
    withdrawClaim(input: $input) { ...ClaimAnswer }
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

/** An order in a list: what it is about, where, and its latest step. */
export const OrderRowFields = graphql(`
  fragment OrderRow on Order {
    id
    status
    category
    description
    createdAt
    compound { id name }
    latestEvent { ...OrderEventFields }
  }
`)

export const MyOrdersQuery = graphql(`
  query MyOrders($first: Int, $after: String) {
    orders(filter: { mine: true }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...OrderRow } }
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

/** What every order mutation answers (OrderPayload): the order as the detail page shows it, or why not. */
export const OrderAnswerFields = graphql(`
  fragment OrderAnswer on OrderPayload {
    order { ...OrderDetail }
    errors { ...UserErrorFields }
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
    placeOrder(input: $input) { ...OrderAnswer }
  }
`)

export const ConfirmOrderMutation = graphql(`
  mutation ConfirmOrder($input: ConfirmOrderInput!) {
    confirmOrder(input: $input) { ...OrderAnswer }
  }
`)

export const CancelOrderMutation = graphql(`
  mutation CancelOrder($input: CancelOrderInput!) {
    cancelOrder(input: $input) { ...OrderAnswer }
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

/** What submitting or answering an opinion answers (OpinionPayload): the opinion as its page shows it. */
export const OpinionAnswerFields = graphql(`
  fragment OpinionAnswer on OpinionPayload {
    opinion { ...OpinionDetail }
    errors { ...UserErrorFields }
  }
`)

export const SubmitOpinionMutation = graphql(`
  mutation SubmitOpinion($input: SubmitOpinionInput!) {
    submitOpinion(input: $input) { ...OpinionAnswer }
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

// ---- Org page (children + statistics), partner unit (claim for the unit, duty shifts), report hours ----

export const OrgPageQuery = graphql(`
  query OrgPage($id: ID!) {
    org(id: $id) {
      id
      name
      kind
      viewerRole
      parent { id name }
      serviceHours
      stats {
        compoundCount
        coveredCompoundCount
        coverageRate
        projectCount
        claimedProjectCount
        verifiedHours
        registeredMemberCount
        partnerUnitCount
      }
      opinionStats { received replied repliedRate }
    }
  }
`)

export const OrgChildrenQuery = graphql(`
  query OrgChildren($id: ID!, $first: Int, $after: String) {
    org(id: $id) {
      id
      children(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id name kind stats { verifiedHours } } }
      }
    }
  }
`)

/** A duty shift: its day, centre and unit, and whether the viewer may check in (or has). */
export const DutyShiftFields = graphql(`
  fragment DutyShiftRow on DutyShift {
    id
    date
    checkedIn
    checkedInAt
    viewerCanCheckIn
    centre { id name }
    unit { id name }
  }
`)

export const DutyShiftsQuery = graphql(`
  query DutyShifts($filter: DutyShiftFilter, $first: Int, $after: String) {
    dutyShifts(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...DutyShiftRow } }
    }
  }
`)

export const CheckInDutyMutation = graphql(`
  mutation CheckInDuty($input: CheckInDutyInput!) {
    checkInDuty(input: $input) {
      shift { ...DutyShiftRow }
      errors { ...UserErrorFields }
    }
  }
`)

export const ReportClaimDoneMutation = graphql(`
  mutation ReportClaimDone($input: ReportClaimDoneInput!) {
    reportClaimDone(input: $input) {
      claim { id status reportedHours verifiedHours }
      errors { ...UserErrorFields }
    }
  }
`)

// ---- Staff: orders to handle (community dispatch; a provider's steward accepts / declines, starts, completes) ----

export const OrgOrdersQuery = graphql(`
  query OrgOrders($orgId: ID!, $first: Int, $after: String) {
    orders(filter: { orgId: $orgId }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...OrderRow provider { id name } } }
    }
  }
`)

export const DispatchOfferingsQuery = graphql(`
  query DispatchOfferings($first: Int) {
    serviceOfferings(filter: { approved: true }, first: $first) {
      nodes { id title category priceFen unit provider { id name } }
    }
  }
`)

export const DispatchOrderMutation = graphql(`
  mutation DispatchOrder($input: DispatchOrderInput!) {
    dispatchOrder(input: $input) { ...OrderAnswer }
  }
`)

export const AcceptOrderMutation = graphql(`
  mutation AcceptOrder($input: AcceptOrderInput!) {
    acceptOrder(input: $input) { ...OrderAnswer }
  }
`)

export const DeclineOrderMutation = graphql(`
  mutation DeclineOrder($input: DeclineOrderInput!) {
    declineOrder(input: $input) { ...OrderAnswer }
  }
`)

export const StartOrderMutation = graphql(`
  mutation StartOrder($input: StartOrderInput!) {
    startOrder(input: $input) { ...OrderAnswer }
  }
`)

export const CompleteOrderMutation = graphql(`
  mutation CompleteOrder($input: CompleteOrderInput!) {
    completeOrder(input: $input) { ...OrderAnswer }
  }
`)

// ---- Staff: a branch's projects and their claims to verify ----

export const OrgProjectsQuery = graphql(`
  query OrgProjects($orgId: ID!, $first: Int, $after: String) {
    projects(filter: { orgId: $orgId }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...ProjectRow } }
    }
  }
`)

export const StaffClaimFields = graphql(`
  fragment StaffClaim on Claim {
    id
    status
    reportedHours
    verifiedHours
    note
    comment
    createdAt
    claimant {
      __typename
      ... on User { id displayName }
      ... on Org { id name }
    }
  }
`)

export const ProjectClaimsQuery = graphql(`
  query ProjectClaims($id: ID!, $first: Int, $after: String) {
    node(id: $id) {
      __typename
      ... on Project {
        id
        title
        status
        claims(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { cursor node { ...StaffClaim } }
        }
      }
    }
  }
`)

export const VerifyClaimMutation = graphql(`
  mutation VerifyClaim($input: VerifyClaimInput!) {
    verifyClaim(input: $input) {
      claim { ...StaffClaim }
      errors { ...UserErrorFields }
    }
  }
`)

export const BookingRowFields = graphql(`
  fragment BookingRow on Booking {
    id
    startsAt
    endsAt
    quantity
    status
    purpose
    reason
    forOrg { id name }
  }
`)

/** Resources with their bookings (for the owner's managers: all; for others: those of orgs they manage). */
export const ResourcesQuery = graphql(`
  query Resources($filter: ResourceFilter, $first: Int, $after: String) {
    resources(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id
          name
          kind
          quantity
          location
          owner { id name }
          bookings(first: 20) { totalCount nodes { ...BookingRow } }
        }
      }
    }
  }
`)

export const RequestBookingMutation = graphql(`
  mutation RequestBooking($input: RequestBookingInput!) {
    requestBooking(input: $input) {
      booking { ...BookingRow resource { id } }
      errors { ...UserErrorFields }
    }
  }
`)

/** What a booking's owner's decision answers (BookingPayload). */
export const BookingAnswerFields = graphql(`
  fragment BookingAnswer on BookingPayload {
    booking { ...BookingRow }
    errors { ...UserErrorFields }
  }
`)

export const ApproveBookingMutation = graphql(`
  mutation ApproveBooking($input: ApproveBookingInput!) {
    approveBooking(input: $input) { ...BookingAnswer }
  }
`)

export const RejectBookingMutation = graphql(`
  mutation RejectBooking($input: RejectBookingInput!) {
    rejectBooking(input: $input) { ...BookingAnswer }
  }
`)

// ---- Staff: publish a project (create a draft, then publish it) ----

/** What creating or publishing a project answers (ProjectPayload). */
export const ProjectAnswerFields = graphql(`
  fragment ProjectAnswer on ProjectPayload {
    project { ...ProjectRow }
    errors { ...UserErrorFields }
  }
`)

export const CreateProjectMutation = graphql(`
  mutation CreateProject($input: CreateProjectInput!) {
    createProject(input: $input) { ...ProjectAnswer }
  }
`)

export const PublishProjectMutation = graphql(`
  mutation PublishProject($input: PublishProjectInput!) {
    publishProject(input: $input) { ...ProjectAnswer }
  }
`)

// ---- Staff: opinions of a managed org, and replying ----

export const OrgOpinionsQuery = graphql(`
  query OrgOpinions($orgId: ID!, $first: Int, $after: String) {
    opinions(filter: { orgId: $orgId }, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...OpinionRow } }
    }
  }
`)

export const ReplyOpinionMutation = graphql(`
  mutation ReplyOpinion($input: ReplyOpinionInput!) {
    replyOpinion(input: $input) { ...OpinionAnswer }
  }
`)
