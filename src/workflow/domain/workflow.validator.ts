import { closest } from '../../common/domain/closest.js';
import { type ParseContext } from './parse-context.js';
import { canonicalTool } from './tool-names.js';
import { type GateSpec, type PhaseSpec, type WorkflowDefinition } from './workflow.model.js';

/** "did you mean", else the list of what exists. */
function hint(name: string, known: readonly string[], noun: string): string {
  const near = closest(name, known);
  if (near) return `did you mean '${near}'?`;
  return known.length ? `defined ${noun}: ${known.join(', ')}` : `define the ${noun} first`;
}

/**
 * Cross-reference checks over a parsed definition: ids are unique, transitions name real
 * phases and gates, artifacts name real schemas, every phase is reachable. All problems are
 * reported, none stops the others.
 */
export function validateWorkflow(def: WorkflowDefinition, ctx: ParseContext): void {
  const phases = uniquePhases(def, ctx);
  const gates = uniqueGates(def, ctx);
  checkTransitions(def, ctx, phases, gates);
  checkArtifactSchemas(def, ctx);
  checkReachability(def, ctx, phases);
  checkConstraintAliases(def, ctx);
}

/** `grep` and `search_files` are one tool: two constraint blocks for it would contradict. */
function checkConstraintAliases(def: WorkflowDefinition, ctx: ParseContext): void {
  for (const phase of def.phases) {
    const seen = new Map<string, string>();
    for (const tool of Object.keys(phase.tool_constraints)) {
      const canonical = canonicalTool(tool);
      const first = seen.get(canonical);
      if (first === undefined) {
        seen.set(canonical, tool);
        continue;
      }
      ctx.problem(
        [...ctx.pathOf(phase), 'tool_constraints', tool],
        `tool_constraints of phase ${phase.id} name one tool twice: '${first}' and '${tool}' are the same tool`,
        `merge them under '${canonical}'`,
      );
    }
  }
}

function uniquePhases(def: WorkflowDefinition, ctx: ParseContext): Map<string, PhaseSpec> {
  const byId = new Map<string, PhaseSpec>();
  for (const phase of def.phases) {
    const first = byId.get(phase.id);
    if (first) {
      ctx.problem(
        [...ctx.pathOf(phase), 'id'],
        `duplicate phase id '${phase.id}' (first defined at line ${first.location.line})`,
        'give each phase a unique id',
      );
    } else {
      byId.set(phase.id, phase);
    }
  }
  return byId;
}

/** Gate ids are unique across the workflow: approvals are recorded per task and gate id. */
function uniqueGates(
  def: WorkflowDefinition,
  ctx: ParseContext,
): Map<string, { gate: GateSpec; phase: PhaseSpec }> {
  const byId = new Map<string, { gate: GateSpec; phase: PhaseSpec }>();
  for (const phase of def.phases) {
    for (const gate of phase.gates) {
      const first = byId.get(gate.id);
      if (first) {
        ctx.problem(
          [...ctx.pathOf(gate), 'id'],
          `duplicate gate id '${gate.id}' (also in phase ${first.phase.id} at line ${first.gate.location.line})`,
          'give each gate a unique id; approvals are recorded per gate id',
        );
      } else {
        byId.set(gate.id, { gate, phase });
      }
    }
  }
  return byId;
}

function checkTransitions(
  def: WorkflowDefinition,
  ctx: ParseContext,
  phases: Map<string, PhaseSpec>,
  gates: Map<string, { gate: GateSpec; phase: PhaseSpec }>,
): void {
  const phaseIds = [...phases.keys()];
  const seen = new Map<string, number>();
  for (const t of def.transitions) {
    const path = ctx.pathOf(t);
    for (const end of ['from', 'to'] as const) {
      if (!phases.has(t[end])) {
        ctx.problem(
          [...path, end],
          `transition ${end} undefined phase '${t[end]}'`,
          hint(t[end], phaseIds, 'phases'),
        );
      }
    }
    const key = `${t.from}\u0000${t.to}`;
    if (seen.has(key)) {
      ctx.problem(
        path,
        `transition ${t.from} → ${t.to} is defined twice (first at line ${seen.get(key)})`,
        'remove the duplicate',
      );
    } else {
      seen.set(key, t.location.line);
    }
    if (t.gate === undefined) continue;
    const owner = gates.get(t.gate);
    if (!owner) {
      const local = [...(phases.get(t.from)?.gates ?? []), ...(phases.get(t.to)?.gates ?? [])].map(
        (g) => g.id,
      );
      ctx.problem(
        [...path, 'gate'],
        `transition ${t.from} → ${t.to} names undefined gate '${t.gate}'`,
        `${hint(t.gate, local.length ? local : [...gates.keys()], 'gates')}; gates are defined under a phase's 'gates:'`,
      );
    } else if (owner.phase.id !== t.from && owner.phase.id !== t.to) {
      ctx.problem(
        [...path, 'gate'],
        `gate '${t.gate}' belongs to phase ${owner.phase.id}, not to ${t.from} or ${t.to}`,
        `define the gate in phase ${t.from} (checked on leaving it) or ${t.to}`,
      );
    }
  }
}

function checkArtifactSchemas(def: WorkflowDefinition, ctx: ParseContext): void {
  const names = Object.keys(def.schemas);
  for (const phase of def.phases) {
    for (const artifact of phase.required_artifacts) {
      if (artifact.schema === undefined || Object.hasOwn(def.schemas, artifact.schema)) continue;
      // A schema file that could not be read was reported where it was read.
      if (/\.(json|ya?ml)$/i.test(artifact.schema)) continue;
      ctx.problem(
        [...ctx.pathOf(artifact), 'schema'],
        `artifact '${artifact.type}' names undefined schema '${artifact.schema}'`,
        `${hint(artifact.schema, names, 'schemas')}; define it under 'schemas:' or as a file in schemas_dir`,
      );
    }
  }
}

function checkReachability(def: WorkflowDefinition, ctx: ParseContext, phases: Map<string, PhaseSpec>): void {
  const first = def.phases[0];
  if (!first) return;
  const next = new Map<string, string[]>();
  for (const t of def.transitions) next.set(t.from, [...(next.get(t.from) ?? []), t.to]);
  const reached = new Set([first.id]);
  const queue = [first.id];
  while (queue.length > 0) {
    for (const to of next.get(queue.shift() as string) ?? []) {
      if (!reached.has(to)) {
        reached.add(to);
        queue.push(to);
      }
    }
  }
  for (const phase of phases.values()) {
    if (!reached.has(phase.id)) {
      ctx.problem(
        [...ctx.pathOf(phase), 'id'],
        `phase '${phase.id}' is unreachable from the first phase '${first.id}'`,
        `add a transition to ${phase.id} (e.g. '- { from: ${[...reached].pop()}, to: ${phase.id} }'), or remove the phase`,
      );
    }
  }
}
