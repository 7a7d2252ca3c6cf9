import { type ValidateFunction } from 'ajv';
import { type ArtifactMap, type CheckOutcome } from './checks/check.model.js';
import { compileDeclarativeCheck } from './declarative-check.js';
import { GATE_CHECKS } from './gate-checks.js';
import { type ParseContext } from './parse-context.js';
import { compileSchemas } from './schema-registry.js';
import { compileToolPolicy, type ToolPolicy } from './tool-policy.js';
import {
  type BlockerSpec,
  type GateSpec,
  type PhaseSpec,
  type TransitionSpec,
  type WorkflowDefinition,
} from './workflow.model.js';

export interface CompiledBlocker {
  readonly spec: BlockerSpec;
  readonly run: (artifacts: ArtifactMap) => CheckOutcome;
}

export interface CompiledGate {
  readonly spec: GateSpec;
  readonly phase: string;
  readonly blockers: readonly CompiledBlocker[];
}

export interface CompiledTransition {
  readonly spec: TransitionSpec;
  readonly gate?: CompiledGate;
}

/** What decisions need, prepared once per workflow: lookups, validators, checks, matchers. */
export interface WorkflowRuntime {
  readonly phases: ReadonlyMap<string, PhaseSpec>;
  readonly transitions: ReadonlyMap<string, CompiledTransition>;
  readonly gates: ReadonlyMap<string, CompiledGate>;
  readonly validators: ReadonlyMap<string, ValidateFunction>;
  readonly toolPolicy: ToolPolicy;
}

/** A loaded workflow: the immutable definition plus its compiled runtime. */
export interface Workflow extends WorkflowDefinition {
  readonly runtime: WorkflowRuntime;
}

export const transitionKey = (from: string, to: string): string => `${from}\u0000${to}`;

function compileBlocker(spec: BlockerSpec): CompiledBlocker {
  if (spec.declarative) return { spec, run: compileDeclarativeCheck(spec.declarative) };
  const check = GATE_CHECKS.get(spec.check);
  if (!check) throw new Error(`unknown check '${spec.check}' survived validation`);
  return { spec, run: (artifacts) => check.run(artifacts, spec.params) };
}

/** Compiles a validated definition; schema compile errors are added to `ctx`. */
export function compileRuntime(def: WorkflowDefinition, ctx: ParseContext): WorkflowRuntime {
  const validators = compileSchemas(
    def.schemas,
    (location, message, fix) => ctx.problemAt(location, message, fix),
    (name, path) => ctx.schemaLocators.get(name)?.(path),
  );
  const gates = new Map<string, CompiledGate>();
  for (const phase of def.phases) {
    for (const gate of phase.gates) {
      if (!gates.has(gate.id))
        gates.set(gate.id, { spec: gate, phase: phase.id, blockers: gate.blockers.map(compileBlocker) });
    }
  }
  const transitions = new Map<string, CompiledTransition>();
  for (const t of def.transitions) {
    const gate = t.gate === undefined ? undefined : gates.get(t.gate);
    transitions.set(transitionKey(t.from, t.to), gate ? { spec: t, gate } : { spec: t });
  }
  const phases = new Map<string, PhaseSpec>();
  for (const p of def.phases) if (!phases.has(p.id)) phases.set(p.id, p);
  return { phases, transitions, gates, validators, toolPolicy: compileToolPolicy(def) };
}

/** Freezes a plain JSON-like value all the way down. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
