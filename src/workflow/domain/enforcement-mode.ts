import { InvalidInputError } from '../../common/domain/domain-error.js';
import { ENFORCEMENT_MODES, type EnforcementMode } from './workflow.model.js';

/** A per-call mode override, `advisory` meaning `audit`; absent means the workflow's mode. */
export function resolveMode(requested: string | undefined, workflowMode: EnforcementMode): EnforcementMode {
  if (requested === undefined) return workflowMode;
  if (requested === 'advisory') return 'audit';
  if ((ENFORCEMENT_MODES as readonly string[]).includes(requested)) return requested as EnforcementMode;
  throw new InvalidInputError(
    'invalid_mode',
    `unknown enforcement mode '${requested}'; expected ${ENFORCEMENT_MODES.join(', ')} (or advisory)`,
  );
}
