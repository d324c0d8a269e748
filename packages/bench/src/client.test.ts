import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { GatewayClient, LONG_POLL_SECONDS, Pacer } from './client.js';

/** A stand-in gateway: answers each status request with the next scripted reply. */
async function fakeGateway(replies: Array<{ holdMs: number; typename?: string; error?: string }>) {
  const asked: Array<{ waitSeconds: number | null | undefined }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { variables } = JSON.parse(body) as { variables: { waitSeconds?: number | null } };
      asked.push({ waitSeconds: variables.waitSeconds });
      const reply = replies[Math.min(asked.length - 1, replies.length - 1)]!;
      setTimeout(() => {
        const answer = reply.error
          ? { data: null, errors: [{ message: reply.error }] }
          : { data: { fetchRecordStatus: { __typename: reply.typename } } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      }, reply.holdMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new GatewayClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return { client, asked, close: () => new Promise((resolve) => server.close(resolve)) };
}

const backoff = { initialMs: 100, factor: 1.5, maxMs: 500, timeoutMs: 30_000 };

test('waitProcessed long-polls and asks again at once after a held RecordProcessing', async () => {
  const gw = await fakeGateway([
    { holdMs: 300, typename: 'RecordProcessing' },
    { holdMs: 100, typename: 'RecordProcessed' },
  ]);
  try {
    const started = performance.now();
    const outcome = await gw.client.waitProcessed('d', backoff);
    assert.equal(outcome.lastStatus, 'RecordProcessed');
    assert.equal(outcome.polls, 2);
    assert.equal(outcome.longPolls, 2);
    assert.ok(outcome.processedAt !== undefined && outcome.processedAt - started < 1_000, 'no backoff sleep between held requests');
    assert.deepEqual(gw.asked, [{ waitSeconds: LONG_POLL_SECONDS }, { waitSeconds: LONG_POLL_SECONDS }]);
  } finally {
    await gw.close();
  }
});

test('waitProcessed backs off after errors and answers the gateway did not hold', async () => {
  const gw = await fakeGateway([
    { holdMs: 0, error: 'Temporarily unavailable' },
    { holdMs: 0, typename: 'RecordProcessing' },
    { holdMs: 0, typename: 'RecordProcessed' },
  ]);
  try {
    const started = performance.now();
    const outcome = await gw.client.waitProcessed('d', backoff);
    assert.equal(outcome.lastStatus, 'RecordProcessed');
    assert.equal(outcome.polls, 3);
    // 100 ms after the error, then at least the rest of 150 ms after the quick RecordProcessing.
    assert.ok(performance.now() - started >= 240, `${Math.round(performance.now() - started)} ms`);
  } finally {
    await gw.close();
  }
});

test('waitProcessed never waits past its timeout: the last second is a plain poll', async () => {
  const gw = await fakeGateway([{ holdMs: 0, typename: 'RecordProcessing' }]);
  try {
    const outcome = await gw.client.waitProcessed('d', { ...backoff, timeoutMs: 1_500, waitSeconds: 1 });
    assert.equal(outcome.processedAt, undefined);
    assert.ok(gw.asked.every((a) => a.waitSeconds === 0 || a.waitSeconds === 1));
    assert.equal(gw.asked.at(-1)?.waitSeconds, 0);
    assert.equal(outcome.longPolls, gw.asked.filter((a) => a.waitSeconds === 1).length);
  } finally {
    await gw.close();
  }
});

test('Pacer: a held request resets the delay; quick answers are spaced by a growing delay', async () => {
  const pacer = new Pacer({ initialMs: 40, factor: 2, maxMs: 100 });
  const timed = async (tookMs: number, failed: boolean) => {
    const t = performance.now();
    await pacer.after(tookMs, failed);
    return performance.now() - t;
  };
  assert.ok((await timed(0, false)) >= 35); // 40
  assert.ok((await timed(0, true)) >= 75); // 80
  assert.ok((await timed(60, false)) >= 35); // the rest of 100 (max)
  assert.ok((await timed(5_000, false)) < 20); // held: no sleep, delay back to 40
  const reset = await timed(0, false);
  assert.ok(reset >= 35 && reset < 75, `${Math.round(reset)} ms`);
});
