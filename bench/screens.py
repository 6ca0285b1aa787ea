"""The five mobile screens the performance work is measured on: one GraphQL document each, shared by the
benchmark (`jinlin bench`) and the statement-count tests (tests/test_screens.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Screen:
    """One phone screen: its name, its document, and the role of the user who opens it."""

    name: str
    role: str
    query: str

    @property
    def sha256(self) -> str:
        """The persisted-query hash the app sends instead of the document."""
        return hashlib.sha256(self.query.encode()).hexdigest()


PROJECTS_NEAR_ME = Screen("projects_near_me", "member", """query ProjectsNearMe($first: Int) {
  projects(filter: {claimable: true}, first: $first) {
    nodes { id title category capacity remaining startsAt location org { id name } viewerCanClaim
            viewerClaim { id status } }
    pageInfo { hasNextPage endCursor }
  }
}""")

ORG_PAGE = Screen("org_page", "street_admin", """query OrgPage($id: ID!, $first: Int) {
  org(id: $id) {
    id name kind
    children(first: $first) {
      totalCount
      nodes { id name kind stats { compoundCount coverageRate registeredMemberCount projectCount
                                   claimedProjectCount verifiedHours } }
      pageInfo { hasNextPage endCursor }
    }
  }
}""")

PROJECT_DETAIL = Screen("project_detail", "branch_admin", """query ProjectDetail($id: ID!, $first: Int) {
  node(id: $id) {
    ... on Project {
      id title description category status capacity claimedCount remaining startsAt endsAt location
      org { id name }
      claims(first: $first) {
        totalCount
        nodes { id status reportedHours verifiedHours createdAt
                claimant { __typename ... on User { id displayName } ... on Org { id name } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}""")

MY_ORDERS = Screen("my_orders", "resident", """query MyOrders($first: Int) {
  orders(filter: {mine: true}, first: $first) {
    totalCount
    nodes { id status category description createdAt provider { id name }
            latestEvent { action status at note } }
    pageInfo { hasNextPage endCursor }
  }
}""")

DISTRICT_DASHBOARD = Screen("district_dashboard", "district_admin", """query DistrictDashboard($id: ID!) {
  org(id: $id) {
    id name
    stats { compoundCount coveredCompoundCount coverageRate branchCount redCommitteeCount partnerUnitCount
            registeredMemberCount projectCount claimedProjectCount verifiedHours resourceCount
            approvedBookingCount meetingCount openResolutionCount convertedResolutionCount
            servedDutyShiftCount commissionerCount }
  }
}""")

SCREENS = (PROJECTS_NEAR_ME, ORG_PAGE, PROJECT_DETAIL, MY_ORDERS, DISTRICT_DASHBOARD)
