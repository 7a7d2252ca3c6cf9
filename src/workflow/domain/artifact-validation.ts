import { type ValidateFunction } from 'ajv';
import { type ArtifactMap } from './checks/check.model.js';
import { type Finding } from './finding.model.js';
import { describeSchemaError } from './schema-registry.js';
import { type PhaseSpec } from './workflow.model.js';

/**
 * The phase's required artifacts, each present and valid against its schema; every
 * missing artifact and every schema error is a blocker naming the artifact and pointer.
 */
export function validatePhaseArtifacts(
  phase: PhaseSpec,
  artifacts: ArtifactMap,
  validators: ReadonlyMap<string, ValidateFunction>,
): Finding[] {
  const findings: Finding[] = [];
  for (const required of phase.required_artifacts) {
    const value = artifacts[required.type];
    if (value === undefined || value === null) {
      findings.push({
        check: 'artifact_required',
        severity: 'blocking',
        artifact: required.type,
        pointer: '',
        message: `required artifact '${required.type}' is missing (phase ${phase.id})`,
      });
      continue;
    }
    const validate = required.schema === undefined ? undefined : validators.get(required.schema);
    if (!validate || validate(value)) continue;
    for (const error of validate.errors ?? []) {
      const { pointer, message } = describeSchemaError(required.type, error);
      findings.push({
        check: 'artifact_schema',
        severity: 'blocking',
        artifact: required.type,
        pointer,
        message,
      });
    }
  }
  return findings;
}
