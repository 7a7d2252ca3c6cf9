import { InvalidInputError } from '../../common/domain/domain-error.js';
import { artifactDigest } from './artifact-digest.js';
import { validatePhaseArtifacts } from './artifact-validation.js';
import { type ArtifactMap } from './checks/check.model.js';
import { resolveMode } from './enforcement-mode.js';
import { type Finding } from './finding.model.js';
import { type CompiledGate, transitionKey, type Workflow } from './workflow.runtime.js';
import { type EnforcementMode, type GateType } from './workflow.model.js';

export interface TransitionInput {
  readonly currentPhase: string;
  readonly targetPhase: string;
  /**
   * Every artifact known for the task, by type: stored ones from earlier phases merged with
   * this submission (checks such as tests_exist_for_acceptance_criteria read across phases).
   */
  readonly artifacts: ArtifactMap;
  /**
   * Latest approval of each approval gate, by gate id: the digest of the artifacts that were
   * approved. An approval gate passes only when it equals the digest of `artifacts`.
   */
  readonly approvals?: ReadonlyMap<string, string>;
  /** Overrides the workflow's mode; `advisory` = `audit`. */
  readonly mode?: string;
}

export interface TransitionDecision {
  readonly allowed: boolean;
  readonly mode: EnforcementMode;
  readonly from: string;
  readonly to: string;
  readonly gate?: string;
  readonly gate_type?: GateType;
  /** For approval gates: the digest of the artifacts this decision read (what an approval names). */
  readonly digest?: string;
  /** What stops the transition (strict mode only). */
  readonly blockers: readonly Finding[];
  /** Warning and info findings; in permissive mode also the demoted blockers. */
  readonly warnings: readonly Finding[];
  /** What strict mode would have blocked, when the mode let it through. */
  readonly would_block: readonly Finding[];
}

/**
 * May a task in `currentPhase` move to `targetPhase`? Pure: the source phase's required
 * artifacts must be present and valid, then the transition's gate (its checks, and an
 * approval for approval gates). An undefined transition is the caller's mistake: it throws
 * `no_such_transition`.
 */
export function decideTransition(workflow: Workflow, input: TransitionInput): TransitionDecision {
  const mode = resolveMode(input.mode, workflow.enforcement.mode);
  const { currentPhase: from, targetPhase: to } = input;
  const { runtime } = workflow;
  const transition = runtime.transitions.get(transitionKey(from, to));
  if (!transition) {
    const unknown = [from, to].filter((p) => !runtime.phases.has(p));
    const why = unknown.length
      ? `phase ${unknown.map((p) => `'${p}'`).join(' and ')} not defined in workflow '${workflow.name}'`
      : `workflow '${workflow.name}' has no transition ${from} → ${to}`;
    const targets = workflow.transitions.filter((t) => t.from === from).map((t) => t.to);
    // Worded as the earlier orchestrator did ("No transition defined"), which its clients match.
    throw new InvalidInputError('no_such_transition', `No transition defined from ${from} to ${to}: ${why}`, {
      from,
      to,
      allowed_targets: targets,
    });
  }
  const source = runtime.phases.get(from);
  const findings = source ? validatePhaseArtifacts(source, input.artifacts, runtime.validators) : [];
  const gate = transition.gate;
  const digest = gate?.spec.type === 'approval' ? artifactDigest(input.artifacts) : undefined;
  if (gate) findings.push(...evaluateGate(gate, input.artifacts, input.approvals ?? new Map(), digest));
  const { allowed, blockers, warnings, would_block } = applyMode(mode, findings);
  const decision: { -readonly [K in keyof TransitionDecision]: TransitionDecision[K] } = {
    allowed,
    mode,
    from,
    to,
    blockers,
    warnings,
    would_block,
  };
  if (gate) {
    decision.gate = gate.spec.id;
    decision.gate_type = gate.spec.type;
    if (digest !== undefined) decision.digest = digest;
  }
  return decision;
}

/**
 * The gate's checks in order, plus the approval an approval gate needs: one whose digest is
 * `digest`, the digest of the artifacts being decided on (other artifacts need a new approval).
 */
export function evaluateGate(
  gate: CompiledGate,
  artifacts: ArtifactMap,
  approvals: ReadonlyMap<string, string>,
  digest: string = artifactDigest(artifacts),
): Finding[] {
  const findings: Finding[] = [];
  const id = gate.spec.id;
  for (const blocker of gate.blockers) {
    const outcome = blocker.run(artifacts);
    if (outcome.passed) continue;
    // Field by field, not spread: this runs for every blocker of every transition request.
    const finding: { -readonly [K in keyof Finding]: Finding[K] } = {
      check: blocker.spec.check,
      severity: blocker.spec.severity,
      gate: id,
      message: blocker.spec.message ?? outcome.detail,
    };
    if (outcome.artifact !== undefined) finding.artifact = outcome.artifact;
    if (outcome.pointer !== undefined) finding.pointer = outcome.pointer;
    if (blocker.spec.message !== undefined) finding.detail = outcome.detail;
    findings.push(finding);
  }
  if (gate.spec.type === 'approval') {
    const approved = approvals.get(id);
    if (approved !== digest) {
      const who = gate.spec.approvers.length ? ` by ${gate.spec.approvers.join(' or ')}` : '';
      const why =
        approved === undefined
          ? `gate '${id}' needs an approval${who} of these artifacts (${digest})`
          : `gate '${id}' was approved for other artifacts (${approved}); these (${digest}) need a new approval${who}`;
      findings.push({ check: 'approval_required', severity: 'blocking', gate: id, message: why, digest });
    }
  }
  return findings;
}

/** strict blocks; permissive allows and demotes blockers to warnings; audit allows and records. */
export function applyMode(
  mode: EnforcementMode,
  findings: readonly Finding[],
): Pick<TransitionDecision, 'allowed' | 'mode' | 'blockers' | 'warnings' | 'would_block'> {
  const blocking = findings.filter((f) => f.severity === 'blocking');
  const warnings = findings.filter((f) => f.severity !== 'blocking');
  if (mode === 'strict')
    return { allowed: blocking.length === 0, mode, blockers: blocking, warnings, would_block: [] };
  if (mode === 'permissive')
    return { allowed: true, mode, blockers: [], warnings: [...blocking, ...warnings], would_block: blocking };
  return { allowed: true, mode, blockers: [], warnings, would_block: blocking };
}
