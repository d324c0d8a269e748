/**
 * Who may see a draft's status (CONTRACT.md): the user who submitted it, and users holding
 * validate, register or sysadmin. Anyone else is answered as if the draft was never received
 * (RecordUnknown): not an error, so whether a draftId exists does not leak. A submitter that
 * cannot be known (a rejected draft decided before the workflow kept it, its job gone) is seen
 * only by the privileged users.
 */
export const PRIVILEGED_SCOPES = ['validate', 'register', 'sysadmin'] as const;

export interface Viewer {
  userId: string;
  scopes: readonly string[];
}

export const isPrivileged = (viewer: Viewer): boolean => PRIVILEGED_SCOPES.some((s) => viewer.scopes.includes(s));

export const canSeeDraft = (viewer: Viewer, submitterId: string | undefined): boolean =>
  isPrivileged(viewer) || (submitterId !== undefined && submitterId === viewer.userId);
