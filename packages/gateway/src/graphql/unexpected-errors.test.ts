import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type * as ApolloCjs from '@apollo/server' with { 'resolution-mode': 'require' };
import { createLogger, initSentry } from '@steadfast/commons';
import { GraphQLError } from 'graphql';
import { internalErrorMessage, sentryReporter, unexpectedErrors, type UnexpectedError } from './unexpected-errors.js';

const { ApolloServer } = createRequire(import.meta.url)('@apollo/server') as typeof ApolloCjs;

interface Context {
  correlationId: string;
}

/** A schema with one field of each kind: a bug, a client error, a good answer. */
async function server(report: (e: UnexpectedError) => void, logLines: string[]) {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const apollo = new ApolloServer<Context>({
    typeDefs: 'type Query { broken: String, refused: String, fine: String }',
    resolvers: {
      Query: {
        broken: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'trackingId')\nrecord: { familyName: 'Achieng' }");
        },
        refused: () => {
          throw new GraphQLError('Invalid input. details.child.birthDate: is in the future', { extensions: { code: 'BAD_USER_INPUT' } });
        },
        fine: () => 'yes',
      },
    },
    includeStacktraceInErrorResponses: false,
    plugins: [unexpectedErrors<Context>(createLogger('gateway', { level: 'error', destination }), report)],
  });
  await apollo.start();
  return apollo;
}

async function run(apollo: ApolloCjs.ApolloServer<Context>, query: string) {
  const response = await apollo.executeOperation({ query }, { contextValue: { correlationId: 'corr-1' } });
  assert.equal(response.body.kind, 'single');
  return response.body.singleResult;
}

test('an unexpected error is logged and reported once, and the client sees only the correlation id', async () => {
  const reported: UnexpectedError[] = [];
  const logs: string[] = [];
  const apollo = await server((e) => reported.push(e), logs);
  try {
    const result = await run(apollo, 'query Status { broken fine }');
    assert.equal(result.data?.['fine'], 'yes', 'the rest of the operation still answers');
    assert.equal(result.errors?.length, 1);
    const [error] = result.errors ?? [];
    assert.equal(error?.message, internalErrorMessage('corr-1'));
    assert.deepEqual(error?.extensions, { code: 'INTERNAL_SERVER_ERROR', correlationId: 'corr-1' });
    assert.deepEqual(reported, [
      {
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'trackingId')",
        operationName: 'Status',
        path: 'broken',
        correlationId: 'corr-1',
      },
    ]);
    assert.equal(logs.length, 1);
    assert.match(logs[0] ?? '', /"correlationId":"corr-1"/);
    assert.doesNotMatch(logs.join(''), /Achieng/, 'lines after the first stay out of the log');
  } finally {
    await apollo.stop();
  }
});

test("the gateway's own client errors are neither reported nor rewritten", async () => {
  const reported: UnexpectedError[] = [];
  const logs: string[] = [];
  const apollo = await server((e) => reported.push(e), logs);
  try {
    const result = await run(apollo, '{ refused }');
    assert.equal(result.errors?.[0]?.message, 'Invalid input. details.child.birthDate: is in the future');
    assert.equal(result.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    const invalid = await run(apollo, '{ nosuchfield }');
    assert.equal(invalid.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
    assert.deepEqual(reported, []);
    assert.deepEqual(logs, []);
  } finally {
    await apollo.stop();
  }
});

test('the Sentry reporter sends one event with ids and the first line, nothing else', async () => {
  const bodies: string[] = [];
  const sink: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const { port } = sink.address() as { port: number };
  const sentry = await initSentry(`http://publickey@127.0.0.1:${port}/1`, 'test');
  try {
    const logs: string[] = [];
    const apollo = await server(sentryReporter(sentry, 'gateway'), logs);
    await run(apollo, 'query Status { broken }');
    await apollo.stop();
    assert.ok(await sentry.flush(5_000), 'Sentry took the event');
    const events = bodies.filter((body) => /"type":"event"/.test(body));
    assert.equal(events.length, 1);
    assert.match(events[0] ?? '', /reading 'trackingId'/);
    assert.match(events[0] ?? '', /corr-1/);
    assert.match(events[0] ?? '', /"path":"broken"/);
    assert.doesNotMatch(events[0] ?? '', /Achieng/);
  } finally {
    await sentry.close(2_000);
    await new Promise((resolve) => sink.close(resolve));
  }
});

test('an error quoting a refused value (GraphQL coercion) sends at most a short piece of it', async () => {
  const apollo = new ApolloServer<Context>({
    typeDefs: 'enum Kind { PNG PDF } input File { kind: Kind!, name: String! } type Query { check(file: File!): Boolean }',
    resolvers: { Query: { check: () => true } },
    includeStacktraceInErrorResponses: false,
    plugins: [unexpectedErrors<Context>(createLogger('gateway', { level: 'silent' }))],
  });
  await apollo.start();
  try {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    for (const file of [{ kind: huge, name: 'a' }, { kind: 'PNG', name: 'a', [huge]: 1 }, { kind: 'PNG', name: 12 }]) {
      const response = await apollo.executeOperation(
        { query: 'query($file: File!) { check(file: $file) }', variables: { file } },
        { contextValue: { correlationId: 'corr-3' } },
      );
      assert.equal(response.body.kind, 'single');
      const size = JSON.stringify(response.body.singleResult).length;
      assert.ok(size < 1_000, `${size} characters answered`);
      assert.equal(response.body.singleResult.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    }
    const inline = await apollo.executeOperation({ query: `{ check(file: { kind: ${'X'.repeat(100_000)}, name: "a" }) }` }, { contextValue: { correlationId: 'corr-4' } });
    assert.equal(inline.body.kind, 'single');
    assert.ok(JSON.stringify(inline.body.singleResult).length < 1_000);
  } finally {
    await apollo.stop();
  }
});
