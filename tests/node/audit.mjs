// GraphQL over HTTP conformance: graphql-http's auditServer against a live Jinlin server.
//
//   node tests/node/audit.mjs [URL]      (URL, else $JINLIN_GRAPHQL_URL, else http://127.0.0.1:8765/graphql)
//
// Prints every audit (ok, notice, warn, error with its reason) and exits 1 when any audit warns or errs:
// the service passes with no errors and no warnings. Notices are printed but pass (graphql-http uses them for
// things the spec leaves open).
import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.JINLIN_GRAPHQL_URL || 'http://127.0.0.1:8765/graphql';

const results = await auditServer({ url });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status === 'ok') {
    console.log(`ok     ${result.id} ${result.name}`);
    continue;
  }
  console.log(`${result.status.padEnd(6)} ${result.id} ${result.name}\n       ${result.reason}`);
  // The failing response, to see at once what the server said.
  const response = result.response;
  const body = await response.text().catch((error) => `(body unreadable: ${error})`);
  console.log(`       -> ${response.status} ${response.headers.get('content-type') ?? '(no content-type)'} ${body.slice(0, 500)}`);
}
console.log(`\n${url}: ${results.length} audits, ${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ` +
  `${counts.error} error`);
process.exit(counts.warn + counts.error > 0 ? 1 : 0);
