// Missing RBAC/IAM permissions, told from the 403s of this run's reads and writes, each with the
// fix (pure, but it reads error objects: platform's isApiError, which core may not import).
// The prerequisites seen in what was read are core/prerequisites.ts's.
import type { Prerequisite } from '../core/prerequisites.ts';
import { isApiError } from '../platform/errors.ts';

/** 403s name the permission in their fix; one prerequisite per distinct fix. */
export function permissionPrerequisites(errors: readonly unknown[]): Prerequisite[] {
  const seen = new Map<string, Prerequisite>();
  for (const e of errors) {
    if (!isApiError(e) || (e.status !== 403 && e.status !== 401) || !e.fix || RATE_LIMIT.test(e.reason ?? '')) continue;
    if (!seen.has(e.fix)) seen.set(e.fix, { name: 'permission', message: e.message, fix: e.fix, blocking: false });
  }
  return [...seen.values()];
}

const RATE_LIMIT = /rate|quota/i;
