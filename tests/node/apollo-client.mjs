// A real-client check, run by .ci/run against a live server: Apollo Client (its persisted-query link sending
// hashed queries over GET) and graphql-ws log in as a demo member, list the projects they may claim, claim one and
// receive the claimUpdated event. Exits non-zero on any deviation.
// Usage: node apollo-client.mjs [URL] (else $JINLIN_GRAPHQL_URL, else http://127.0.0.1:8765/graphql)
import { createHash } from "node:crypto";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const url = process.argv[2] || process.env.JINLIN_GRAPHQL_URL || "http://127.0.0.1:8765/graphql";
const wsUrl = url.replace(/^http/, "ws");
const PHONE = "13800000004";
const PASSWORD = "jinlin-demo";

const LOGIN = gql`
  mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken user { id displayName } errors { code message } }
  }`;
const CLAIMABLE = gql`
  query Claimable {
    projects(filter: { claimable: true }, first: 20) { totalCount nodes { id title remaining } }
  }`;
const CLAIM = gql`
  mutation Claim($input: ClaimProjectInput!) {
    claimProject(input: $input) { claim { id status } project { id remaining } errors { code message } }
  }`;
const CLAIM_UPDATED = gql`
  subscription ClaimUpdated($projectId: ID!) {
    claimUpdated(projectId: $projectId) { id status claimant { ... on User { displayName } } }
  }`;

// Every HTTP request the app makes, so the script can prove hashed queries went over GET.
const requests = [];
const recordingFetch = async (input, init = {}) => {
  const response = await fetch(input, init);
  const body = await response.clone().text();
  requests.push({ method: init.method || "GET", url: String(input), status: response.status,
                  answered: body.startsWith('{"data"') });
  return response;
};

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

function timeout(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms));
}

let accessToken = null;
const auth = new ApolloLink((operation, forward) => {
  if (accessToken) {
    operation.setContext(({ headers = {} }) => ({ headers: { ...headers, Authorization: `Bearer ${accessToken}` } }));
  }
  return forward(operation);
});
const persisted = new PersistedQueryLink({
  sha256: (text) => createHash("sha256").update(text).digest("hex"),
  useGETForHashedQueries: true,
});
const http = new HttpLink({ uri: url, fetch: recordingFetch });
const wsClient = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  connectionParams: () => ({ Authorization: `Bearer ${accessToken}` }),
  lazy: true,
  retryAttempts: 0,
});
const link = ApolloLink.split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === "OperationDefinition" && definition.operation === "subscription";
  },
  new GraphQLWsLink(wsClient),
  ApolloLink.from([auth, persisted, http]),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });

async function main() {
  const login = await client.mutate({ mutation: LOGIN, variables: { input: { phone: PHONE, password: PASSWORD } } });
  if (login.data.login.errors.length) fail(`login: ${JSON.stringify(login.data.login.errors)}`);
  accessToken = login.data.login.accessToken;
  console.log(`logged in as ${login.data.login.user.displayName}`);

  const first = await client.query({ query: CLAIMABLE, fetchPolicy: "network-only" });
  const again = await client.query({ query: CLAIMABLE, fetchPolicy: "network-only" });
  const projects = first.data.projects.nodes;
  if (!projects.length) fail("no claimable project for the demo member");
  if (JSON.stringify(again.data) !== JSON.stringify(first.data)) fail("the hashed GET answered differently");
  const hashedGets = requests.filter((r) => r.method === "GET" && r.url.includes("persistedQuery") && r.answered
    && !new URL(r.url).searchParams.has("query"));
  if (!hashedGets.length) fail(`no hashed query went over GET: ${JSON.stringify(requests)}`);
  console.log(`${first.data.projects.totalCount} claimable project(s); ${hashedGets.length} hashed GET(s) answered`);

  const project = projects[0];
  const event = new Promise((resolve, reject) => {
    const subscription = client.subscribe({ query: CLAIM_UPDATED, variables: { projectId: project.id } }).subscribe({
      next: (result) => {
        subscription.unsubscribe();
        if (result.error) reject(result.error);
        else resolve(result.data.claimUpdated);
      },
      error: reject,
    });
  });
  // graphql-ws acknowledges the connection, not each subscription: wait for the ack, then a moment for the
  // subscribe message to be processed before the claim is made.
  await Promise.race([new Promise((resolve) => wsClient.on("connected", resolve)), timeout(5000, "connection_ack")]);
  await new Promise((resolve) => setTimeout(resolve, 300));

  const claimed = await client.mutate({ mutation: CLAIM, variables: { input: { projectId: project.id } } });
  const payload = claimed.data.claimProject;
  if (payload.errors.length) fail(`claimProject: ${JSON.stringify(payload.errors)}`);
  if (payload.project.remaining !== project.remaining - 1) fail("the claim did not take a place");
  console.log(`claimed "${project.title}"`);

  const update = await Promise.race([event, timeout(5000, "claimUpdated")]);
  const expected = { __typename: "Claim", id: payload.claim.id, status: "ACTIVE",
                     claimant: { __typename: "User", displayName: "陈党员" } };
  if (JSON.stringify(update) !== JSON.stringify(expected)) {
    fail(`claimUpdated: ${JSON.stringify(update)} != ${JSON.stringify(expected)}`);
  }
  console.log(`received claimUpdated ${update.id} ${update.status}`);
  await wsClient.dispose();
  console.log("OK");
}

main().catch((error) => fail(error.stack || String(error)));
