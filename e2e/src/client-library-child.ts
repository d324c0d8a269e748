/**
 * A field office's sync as its own process, for client-library.test.ts to SIGKILL: opens the
 * FileDraftStore in argv[2], syncs every draft with the gateway at argv[3] as field.agent, and
 * appends every event of the client, and every call of its token provider, to argv[4] (one JSON
 * line each, written before it goes on).
 * Exit 0 once nothing is pending.
 */
import { appendFileSync } from 'node:fs';
import { FileDraftStore, SteadfastClient } from '@steadfast/client';

const [dir, url, eventsFile] = process.argv.slice(2);
if (!dir || !url || !eventsFile) throw new Error('usage: client-library-child <drafts dir> <gateway url> <events file>');

async function token(): Promise<string> {
  appendFileSync(eventsFile!, `${JSON.stringify({ at: Date.now(), pid: process.pid, type: 'token' })}\n`);
  const response = await fetch(new URL('/auth/authenticate', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'field.agent', password: 'test' }),
  });
  if (response.status !== 200) throw new Error(`login: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

const client = new SteadfastClient({
  url,
  token,
  store: new FileDraftStore(dir),
  onEvent: (event) => appendFileSync(eventsFile, `${JSON.stringify({ at: Date.now(), pid: process.pid, ...event })}\n`),
});
const summary = await client.sync({ timeoutMs: 240_000 });
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exitCode = summary.pending === 0 ? 0 : 1;
