/**
 * How a custom check names its rule. `validateInput` reports zod's own issues with a rule derived
 * from the issue code; a custom check carries its rule in the issue's `params.rule`, set here.
 */
import type { z } from 'zod';

/** Options for `.refine(...)`: the message and the rule name reported to the API client. */
export function rule(name: string, message: string): { error: string; params: { rule: string } } {
  return { error: message, params: { rule: name } };
}

/** Adds a custom issue with its rule name from inside `.superRefine`. */
export function addRuleIssue(
  ctx: z.core.$RefinementCtx,
  name: string,
  message: string,
  path: PropertyKey[] = [],
): void {
  ctx.addIssue({ code: 'custom', message, params: { rule: name }, path });
}

/** The rule name a custom issue carries, if any. */
export function ruleOfCustomIssue(params: Record<string, unknown> | undefined): string | undefined {
  const name = params?.['rule'];
  return typeof name === 'string' ? name : undefined;
}

/**
 * For cross-field checks: run them even when a field has its own issue, so a client sees every
 * problem in one round. Zod otherwise skips them then. The check must therefore read its value
 * defensively: any field may be missing or of the wrong type.
 */
export const evenWithFieldIssues = {
  when: (payload: z.core.ParsePayload): boolean => typeof payload.value === 'object' && payload.value !== null,
};
