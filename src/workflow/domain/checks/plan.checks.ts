import { asList, asObject, entryText, isOpen, numberParam, stringParam } from './artifact-readers.js';
import { type CheckDefinition, type CheckOutcome, type CheckParams, fail, pass } from './check.model.js';

const artifactParam = (fallback: string) => ({
  type: 'string' as const,
  description: `artifact to read (default ${fallback})`,
});

/** A list of at least `min` entries, each with words in it. */
function nonEmptyList(
  artifacts: Readonly<Record<string, unknown>>,
  params: CheckParams,
  field: string,
): CheckOutcome {
  const name = stringParam(params, 'artifact', 'plan_document');
  const min = numberParam(params, 'min', 1);
  const doc = asObject(artifacts[name]);
  if (!doc) return fail(`artifact '${name}' is missing`, name);
  const list = asList(doc[field]);
  if (!list) return fail(`${name} has no '${field}' list`, name, `/${field}`);
  const blank = list.findIndex((entry) => entryText(entry) === '');
  if (blank >= 0) return fail(`${name}/${field}/${blank} is empty`, name, `/${field}/${blank}`);
  if (list.length < min) {
    return fail(`${name}/${field} has ${list.length} entries; at least ${min} required`, name, `/${field}`);
  }
  return pass(`${name}/${field} has ${list.length} entries`);
}

export const planHasAcceptanceCriteria: CheckDefinition = {
  name: 'plan_has_acceptance_criteria',
  description:
    'The plan lists at least `min` (default 1) non-empty acceptance criteria: strings, or objects with words in a text field (description, criterion, how_to_verify, …).',
  params: {
    artifact: artifactParam('plan_document'),
    min: { type: 'integer', min: 1, description: 'minimum number of criteria (default 1)' },
  },
  run: (artifacts, params) => nonEmptyList(artifacts, params, 'acceptance_criteria'),
};

export const planHasImplementationSteps: CheckDefinition = {
  name: 'plan_has_implementation_steps',
  description: 'The plan lists at least `min` (default 1) non-empty implementation steps.',
  params: {
    artifact: artifactParam('plan_document'),
    min: { type: 'integer', min: 1, description: 'minimum number of steps (default 1)' },
  },
  run: (artifacts, params) => nonEmptyList(artifacts, params, 'implementation_steps'),
};

/** Patterns that name the whole tree: a scope made of them bounds nothing. */
const UNBOUNDED = new Set(['*', '**', '**/*', '.', './', '/', './**', '**/**']);

export const scopeIsBounded: CheckDefinition = {
  name: 'scope_is_bounded',
  description:
    'The scope names what is in scope and what is out of scope, and its files_to_modify ' +
    '(if given) are at most `max_files` entries, none of them a whole-tree pattern.',
  params: {
    artifact: artifactParam('scope_definition'),
    max_files: { type: 'integer', min: 1, description: 'most files the scope may list (default 25)' },
  },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'scope_definition');
    const maxFiles = numberParam(params, 'max_files', 25);
    const scope = asObject(artifacts[name]);
    if (!scope) return fail(`artifact '${name}' is missing`, name);
    const inScope = asList(scope['in_scope']);
    if (!inScope || inScope.length === 0) return fail(`${name}/in_scope is empty`, name, '/in_scope');
    if (!asList(scope['out_of_scope'])) {
      return fail(`${name} does not state out_of_scope`, name, '/out_of_scope');
    }
    const files = asList(scope['files_to_modify']) ?? [];
    const wide = files.findIndex(
      (f) => typeof f === 'string' && (UNBOUNDED.has(f.trim()) || f.startsWith('**')),
    );
    if (wide >= 0) {
      return fail(
        `${name}/files_to_modify/${wide} '${String(files[wide])}' matches the whole tree`,
        name,
        `/files_to_modify/${wide}`,
      );
    }
    if (files.length > maxFiles) {
      return fail(
        `${name}/files_to_modify lists ${files.length} files; at most ${maxFiles}`,
        name,
        '/files_to_modify',
      );
    }
    return pass(`${name} is bounded (${inScope.length} in scope, ${files.length} files)`);
  },
};

export const noOpenQuestions: CheckDefinition = {
  name: 'no_open_questions',
  description:
    "Every entry of the plan's open_questions is resolved (`resolved: true`, an `answer`, or " +
    'status resolved/answered); a plain string is an open question.',
  params: { artifact: artifactParam('plan_document') },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'plan_document');
    const doc = asObject(artifacts[name]);
    if (!doc) return fail(`artifact '${name}' is missing`, name);
    const questions = asList(doc['open_questions']) ?? [];
    const open = questions.findIndex(isOpen);
    if (open >= 0) {
      const count = questions.filter(isOpen).length;
      const text = entryText(questions[open]);
      return fail(`${count} open question(s), first: '${text}'`, name, `/open_questions/${open}`);
    }
    return pass(`no open questions in ${name}`);
  },
};

export const PLAN_CHECKS: readonly CheckDefinition[] = [
  planHasAcceptanceCriteria,
  planHasImplementationSteps,
  scopeIsBounded,
  noOpenQuestions,
];
