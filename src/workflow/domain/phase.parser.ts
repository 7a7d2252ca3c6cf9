import { readGate } from './gate.parser.js';
import { type ParseContext, type YamlPath } from './parse-context.js';
import { readToolConstraints } from './tool-constraint.parser.js';
import {
  type GateSpec,
  type PhaseSpec,
  type RequiredArtifactSpec,
  type SchemaSource,
} from './workflow.model.js';
import { checkKeys, isObject, readString, readStringList } from './yaml-readers.js';

const PHASE_KEYS = [
  'id',
  'name',
  'description',
  'allowed_tools',
  'forbidden_tools',
  'required_artifacts',
  'gates',
  'tool_constraints',
];
const ARTIFACT_KEYS = ['type', 'schema', 'description'];

export interface ParsedPhase {
  readonly phase: PhaseSpec;
  /** Schemas written inline in `required_artifacts[].schema`, named `<phase>.<type>`. */
  readonly inlineSchemas: readonly SchemaSource[];
}

export function readPhase(ctx: ParseContext, raw: unknown, path: YamlPath): ParsedPhase | undefined {
  if (!isObject(raw)) {
    ctx.problem(path, 'a phase must be a mapping', "write '- { id: PLAN, allowed_tools: [read_files] }'");
    return undefined;
  }
  checkKeys(ctx, raw, path, PHASE_KEYS);
  const id = readString(ctx, raw, 'id', path, true);
  const inlineSchemas: SchemaSource[] = [];
  const artifacts = readArtifacts(
    ctx,
    raw['required_artifacts'],
    [...path, 'required_artifacts'],
    id,
    inlineSchemas,
  );
  const gates: GateSpec[] = [];
  const rawGates = raw['gates'];
  if (Array.isArray(rawGates)) {
    rawGates.forEach((g, i) => {
      const gate = readGate(ctx, g, [...path, 'gates', i]);
      if (gate) gates.push(gate);
    });
  } else if (rawGates !== undefined && rawGates !== null) {
    ctx.problem([...path, 'gates'], "'gates' must be a list");
  }
  const toolConstraints = readToolConstraints(ctx, raw['tool_constraints'], [...path, 'tool_constraints']);
  if (id === undefined) return undefined;
  const description = readString(ctx, raw, 'description', path);
  return {
    phase: ctx.remember<PhaseSpec>(
      {
        id,
        name: readString(ctx, raw, 'name', path) ?? id,
        ...(description === undefined ? {} : { description }),
        allowed_tools: readStringList(ctx, raw, 'allowed_tools', path),
        forbidden_tools: readStringList(ctx, raw, 'forbidden_tools', path),
        required_artifacts: artifacts,
        gates,
        tool_constraints: toolConstraints,
        location: ctx.at([...path, 'id']),
      },
      path,
    ),
    inlineSchemas,
  };
}

/** Entries are `{type, schema, description}`; a bare string names a type without a schema. */
function readArtifacts(
  ctx: ParseContext,
  raw: unknown,
  path: YamlPath,
  phaseId: string | undefined,
  inlineSchemas: SchemaSource[],
): RequiredArtifactSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    ctx.problem(
      path,
      "'required_artifacts' must be a list",
      "write '- { type: plan_document, schema: plan_document }'",
    );
    return [];
  }
  const out: RequiredArtifactSpec[] = [];
  raw.forEach((entry, i) => {
    const at = [...path, i];
    const obj = typeof entry === 'string' ? { type: entry } : entry;
    if (!isObject(obj)) {
      ctx.problem(at, 'a required artifact must be a mapping with a type');
      return;
    }
    checkKeys(ctx, obj, at, ARTIFACT_KEYS);
    const type = readString(ctx, obj, 'type', at, true);
    if (type === undefined) return;
    if (out.some((a) => a.type === type)) {
      ctx.problem(
        [...at, 'type'],
        `artifact '${type}' is required twice in this phase`,
        'remove the duplicate',
      );
    }
    let schema: string | undefined;
    if (isObject(obj['schema'])) {
      schema = `${phaseId ?? '?'}.${type}`;
      ctx.schemaLocators.set(schema, (inside) => ctx.at([...at, 'schema', ...inside]));
      inlineSchemas.push({ name: schema, schema: obj['schema'], location: ctx.at([...at, 'schema']) });
    } else {
      schema = readString(ctx, obj, 'schema', at);
    }
    const description = readString(ctx, obj, 'description', at);
    out.push(
      ctx.remember<RequiredArtifactSpec>(
        {
          type,
          ...(schema === undefined ? {} : { schema }),
          ...(description === undefined ? {} : { description }),
          location: ctx.at(typeof entry === 'string' ? at : [...at, 'schema' in obj ? 'schema' : 'type']),
        },
        at,
      ),
    );
  });
  return out;
}
