/**
 * Several instances of a service on one machine: `npm start -- --scale workflow=3` or
 * `STEADFAST_SCALE=workflow=3,events=2`. Instance 1 keeps the service's name and ports; instance
 * N is `<service>-N` and listens `(N-1) × STEADFAST_INSTANCE_PORT_STEP` (10) ports higher, every
 * port it has (the gateway's metrics port too), so instances never collide.
 */
import { SERVICES, type ServiceSpec } from './services.js';

export type Scale = Readonly<Record<string, number>>;

export const DEFAULT_PORT_STEP = 10;
const MAX_INSTANCES = 32;

/** Extra port variables a service listens on besides its main one. */
const EXTRA_PORTS: Readonly<Record<string, ReadonlyArray<{ variable: string; defaultPort: number }>>> = {
  gateway: [{ variable: 'GATEWAY_METRICS_PORT', defaultPort: 7074 }],
};

/** Parses `workflow=3,events=2` (the form of `--scale` and of STEADFAST_SCALE). */
export function parseScale(text: string, source = 'scale'): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z]+)=(\d+)$/.exec(part);
    const name = match?.[1];
    const count = Number(match?.[2]);
    if (!name || !match) throw new Error(`${source}: "${part.slice(0, 40)}" is not <service>=<count>`);
    if (!SERVICES.some((s) => s.name === name)) {
      throw new Error(`${source}: unknown service "${name}"; known: ${SERVICES.map((s) => s.name).join(', ')}`);
    }
    if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES) {
      throw new Error(`${source}: ${name} must have 1 to ${MAX_INSTANCES} instances, not ${match[2]}`);
    }
    scale[name] = count;
  }
  return scale;
}

/** The scale from the command line (`--scale a=1 --scale b=2` or `--scale=a=1,b=2`) over STEADFAST_SCALE. */
export function scaleFrom(argv: readonly string[], env: NodeJS.ProcessEnv): Record<string, number> {
  const scale = env['STEADFAST_SCALE'] ? parseScale(env['STEADFAST_SCALE'], 'STEADFAST_SCALE') : {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--scale') {
      const value = argv[++i];
      if (!value) throw new Error('--scale needs <service>=<count>');
      Object.assign(scale, parseScale(value, '--scale'));
    } else if (arg.startsWith('--scale=')) {
      Object.assign(scale, parseScale(arg.slice('--scale='.length), '--scale'));
    } else {
      throw new Error(`unknown argument "${arg.slice(0, 40)}" (known: --scale <service>=<count>)`);
    }
  }
  return scale;
}

export function portStep(env: NodeJS.ProcessEnv): number {
  const raw = env['STEADFAST_INSTANCE_PORT_STEP'];
  if (raw === undefined || raw === '') return DEFAULT_PORT_STEP;
  const step = Number(raw);
  if (!Number.isInteger(step) || step < 6 || step > 1000) {
    throw new Error(`STEADFAST_INSTANCE_PORT_STEP must be a whole number from 6 to 1000, not "${raw}"`);
  }
  return step;
}

/** `workflow` for instance 1, `workflow-2` … for the others. */
export const instanceName = (spec: Pick<ServiceSpec, 'name'>, instance: number): string =>
  instance <= 1 ? spec.name : `${spec.name}-${instance}`;

/** The service and instance number an instance name stands for. */
export function parseInstanceName(name: string): { spec: ServiceSpec; instance: number } {
  const match = /^([a-z]+)(?:-(\d+))?$/.exec(name);
  const spec = SERVICES.find((s) => s.name === match?.[1]);
  if (!spec || !match) throw new Error(`unknown service ${name}; known: ${SERVICES.map((s) => s.name).join(', ')} (instances: <service>-<n>)`);
  return { spec, instance: match[2] ? Number(match[2]) : 1 };
}

/** The environment of one instance: its own ports, shifted from the service's. */
export function instanceEnv(spec: ServiceSpec, instance: number, env: NodeJS.ProcessEnv): Record<string, string> {
  const shift = (instance - 1) * portStep(env);
  const ports = [{ variable: spec.portVar, defaultPort: spec.defaultPort }, ...(EXTRA_PORTS[spec.name] ?? [])];
  return {
    STEADFAST_INSTANCE: instanceName(spec, instance),
    ...Object.fromEntries(ports.map(({ variable, defaultPort }) => [variable, String(Number(env[variable] ?? defaultPort) + shift)])),
  };
}
