/**
 * Every draft once in a store, shown without reading the whole store: the documents made for the
 * drafts, read by their ids, and how much the store grew meanwhile. When each draft has its own
 * document and the store grew by exactly the number of drafts, nothing else was added: no draft
 * has a second document (under another id) and nothing stray was written.
 */

export interface OnceCheck {
  /** Drafts with at least one document of their own. */
  found: number;
  /** Documents the store gained beyond one per draft found: duplicates or strays; 0 when sound. */
  extra: number;
}

export function onceIn(draftIds: readonly string[], docs: ReadonlyArray<{ draftId: string }>, added: number): OnceCheck {
  const asked = new Set(draftIds);
  const found = new Set(docs.map((d) => d.draftId).filter((id) => asked.has(id))).size;
  return { found, extra: added - found };
}

/** Each draft once, and nothing else added. */
export const onceOk = (check: OnceCheck, drafts: number): boolean => check.found === drafts && check.extra === 0;
