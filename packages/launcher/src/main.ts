#!/usr/bin/env node
/** `npm start`: every Steadfast service in the foreground; Ctrl-C stops them gracefully. */
import { scaleFrom } from './scale.js';
import { System } from './system.js';

let scale: Record<string, number>;
try {
  scale = scaleFrom(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`steadfast: ${(error as Error).message}`);
  process.exit(2);
}

let stopping = false;
const system = new System({
  scale,
  onUnexpectedExit: (service, code, signal) => {
    // Ctrl-C reaches the whole process group: the services stop on their own while we do.
    if (stopping) return;
    console.error(`steadfast: ${service} exited unexpectedly (code ${code}, signal ${signal}); stopping`);
    void system.stop().finally(() => process.exit(1));
  },
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\nsteadfast: stopping (in-flight jobs finish or return to the queue)…`);
    system.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

try {
  await system.start();
} catch (error) {
  console.error(`steadfast: ${error instanceof Error ? error.message : String(error)}`);
  await system.stop();
  process.exit(1);
}

const urls = system.urls();
const extra = Object.entries(system.instanceUrls()).filter(([name]) => /-\d+$/.test(name));
console.log(`
Steadfast is running.
  GraphQL            ${urls['gateway']}/graphql
  Login              ${urls['gateway']}/auth/authenticate
  Health             ${urls['gateway']}/health
  Admin dashboard    ${urls['gateway']}/admin/queues
  internal: auth ${urls['auth']}  workflow ${urls['workflow']}  country config ${urls['config']}
  metrics (internal): ${urls['workflow']}/metrics  http://127.0.0.1:${process.env['GATEWAY_METRICS_PORT'] ?? '7074'}/metrics
${extra.length > 0 ? `  more instances: ${extra.map(([name, url]) => `${name} ${url}`).join('  ')}\n` : ''}Press Ctrl-C to stop.
`);
