/**
 * CPU profiles of the Steadfast services under a real load, for finding where a record's cost
 * goes. Preloaded into every service the launcher starts (NODE_OPTIONS refuses --cpu-prof):
 *
 *   PROF_DIR=/tmp/prof NODE_OPTIONS="--import $PWD/packages/bench/dist/cpu-profile.js" \
 *     node packages/bench/dist/main.js --soak --rate 20 --minutes 2
 *
 * Each service (`packages/<name>/dist/main.js`) writes `<PROF_DIR>/<name>-<pid>.cpuprofile` when
 * it exits (the bench stops them at its end); open it in Chrome DevTools' Performance panel. Other
 * processes (the bench itself, npm) are left alone. Sampling every millisecond costs a few percent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const service = /packages\/([^/]+)\/dist\/main\.js$/.exec(process.argv[1] ?? '')?.[1];
const dir = process.env['PROF_DIR'];
if (service !== undefined && service !== 'bench' && dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // The in-process session answers synchronously: the profile is written before the exit ends.
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${service}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
