/**
 * Limits on what one GraphQL operation may ask for, checked before it runs: tokens (graphql-js's
 * own parser limit, so a 200,000-alias document is dropped while parsing, before validation;
 * armor's token plugin throws from a hook Apollo turns into a 500), depth, aliases, directives
 * and total cost (graphql-armor's maintained rules), and root fields per operation (a small rule
 * of ours: armor has none). A refusal is a 400 with
 * `extensions.code` `QUERY_TOO_COMPLEX` and `extensions.limit` naming the limit.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { GraphQLError, Kind, type ASTVisitor, type SelectionNode, type ValidationContext, type ValidationRule } from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Field suggestions ("Did you mean …?") are masked in production. */
  production: boolean;
}

export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

const tooComplex = (message: string, limit: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: QUERY_TOO_COMPLEX, limit, http: { status: 400 } } });

/** Reports armor's refusal under our code, naming the limit. */
const report =
  (limit: string): GraphQLArmorRejectCallback =>
  (ctx, error) => {
    ctx?.reportError(tooComplex(error.message, limit));
  };

/** At most `max` fields at the top of any operation (fragments spread there included). */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      let count = 0;
      const seen = new Set<string>();
      const countIn = (selections: readonly SelectionNode[]): void => {
        for (const selection of selections) {
          if (selection.kind === Kind.FIELD) count++;
          else if (selection.kind === Kind.INLINE_FRAGMENT) countIn(selection.selectionSet.selections);
          else if (!seen.has(selection.name.value)) {
            seen.add(selection.name.value);
            const fragment = context.getFragment(selection.name.value);
            if (fragment) countIn(fragment.selectionSet.selections);
          }
        }
      };
      countIn(operation.selectionSet.selections);
      if (count > max) {
        context.reportError(tooComplex(`Query validation error: ${count} root fields, at most ${max} per operation.`, 'rootFields'));
      }
    },
  });
}

/**
 * Apollo reports every validation error as GRAPHQL_VALIDATION_FAILED; one of these limits keeps
 * its own code (Apollo's `formatError`).
 */
export function keepLimitCode<T extends { message: string; extensions?: Record<string, unknown> }>(formatted: T): T {
  if (typeof formatted.extensions?.['limit'] === 'string') {
    return { ...formatted, extensions: { ...formatted.extensions, code: QUERY_TOO_COMPLEX } };
  }
  if (formatted.extensions?.['code'] === 'GRAPHQL_PARSE_FAILED' && /contains more tha[nt] \d+ tokens/.test(formatted.message)) {
    return { ...formatted, extensions: { ...formatted.extensions, code: QUERY_TOO_COMPLEX, limit: 'tokens' } };
  }
  return formatted;
}

/** Apollo options: plugins (suggestion mask), validation rules, the parser's token limit. */
export function operationLimits(limits: OperationLimits) {
  const armor = new ApolloArmor({
    maxTokens: { enabled: false },
    maxDepth: { n: limits.maxDepth, propagateOnRejection: false, onReject: [report('depth')] },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [report('aliases')] },
    maxDirectives: { n: limits.maxDirectives, propagateOnRejection: false, onReject: [report('directives')] },
    costLimit: { maxCost: limits.maxCost, propagateOnRejection: false, onReject: [report('cost')] },
    blockFieldSuggestion: { enabled: limits.production },
  });
  const { plugins, validationRules } = armor.protect();
  return {
    plugins,
    validationRules: [...validationRules, maxRootFieldsRule(limits.maxRootFields)],
    parseOptions: { maxTokens: limits.maxTokens },
  };
}
