import picomatch from 'picomatch';
import { asList, asObject, entryText, isOpen, type Json, stringParam } from './artifact-readers.js';
import { type CheckDefinition, fail, pass } from './check.model.js';

const reviewArtifactParam = {
  artifact: { type: 'string' as const, description: 'review artifact to read (default review_report)' },
};

interface Finding {
  readonly entry: unknown;
  readonly pointer: string;
}

/** Issues and comments, at the top of the report and inside each review. */
function findings(report: Json): Finding[] {
  const out: Finding[] = [];
  const collect = (owner: Json, base: string) => {
    for (const key of ['issues', 'comments']) {
      (asList(owner[key]) ?? []).forEach((entry, i) => out.push({ entry, pointer: `${base}/${key}/${i}` }));
    }
  };
  collect(report, '');
  (asList(report['reviews']) ?? []).forEach((r, i) => {
    const review = asObject(r);
    if (review) collect(review, `/reviews/${i}`);
  });
  return out;
}

function severityOf(entry: unknown): string {
  const s = asObject(entry)?.['severity'];
  return typeof s === 'string' ? s.toLowerCase() : '';
}

const reviewerOf = (review: Json): string => {
  for (const key of ['model', 'reviewer', 'name']) {
    const v = review[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return '';
};

const isCompleted = (review: Json): boolean =>
  typeof review['status'] === 'string' &&
  ['completed', 'complete', 'done'].includes(review['status'].toLowerCase());

export const noBlockingIssues: CheckDefinition = {
  name: 'no_blocking_issues',
  description:
    'No open issue or comment in the review has a blocking severity (`severities`, default ' +
    'critical, major, blocking).',
  params: {
    ...reviewArtifactParam,
    severities: {
      type: 'string_list',
      description: 'severities that block (default critical, major, blocking)',
    },
  },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'review_report');
    const severities = (params['severities'] as string[] | undefined) ?? ['critical', 'major', 'blocking'];
    const report = asObject(artifacts[name]);
    if (!report) return fail(`artifact '${name}' is missing`, name);
    const blocking = findings(report).filter(
      (f) => isOpen(f.entry) && severities.includes(severityOf(f.entry)),
    );
    if (blocking.length > 0) {
      const first = blocking[0];
      return fail(
        `${blocking.length} open blocking issue(s), first (${severityOf(first.entry)}): '${entryText(first.entry)}'`,
        name,
        first.pointer,
      );
    }
    return pass('no open blocking issues');
  },
};

export const allReviewModelsCompleted: CheckDefinition = {
  name: 'all_review_models_completed',
  description:
    'Enough reviews have status completed: `required_reviews` is a count (default 1) or a list ' +
    'of reviewer/model names that must each have a completed review.',
  params: {
    ...reviewArtifactParam,
    required_reviews: { type: 'count_or_names', description: 'a count, or reviewer names' },
  },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'review_report');
    const required = params['required_reviews'] ?? 1;
    const report = asObject(artifacts[name]);
    if (!report) return fail(`artifact '${name}' is missing`, name);
    const reviews = (asList(report['reviews']) ?? []).map(asObject).filter((r): r is Json => r !== undefined);
    const completed = reviews.filter(isCompleted);
    if (Array.isArray(required)) {
      const done = new Set(completed.map(reviewerOf));
      const missing = (required as string[]).filter((r) => !done.has(r));
      if (missing.length > 0) return fail(`no completed review from ${missing.join(', ')}`, name, '/reviews');
      return pass(`reviews completed by ${(required as string[]).join(', ')}`);
    }
    const count = required as number;
    if (completed.length < count) {
      return fail(`${completed.length} of ${count} required reviews completed`, name, '/reviews');
    }
    return pass(`${completed.length} review(s) completed`);
  },
};

export const reviewCommentsAddressed: CheckDefinition = {
  name: 'review_comments_addressed',
  description:
    'Every issue and comment of the review, whatever its severity, is addressed ' +
    '(`addressed: true`, or status addressed/resolved/wont_fix).',
  params: reviewArtifactParam,
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'review_report');
    const report = asObject(artifacts[name]);
    if (!report) return fail(`artifact '${name}' is missing`, name);
    const open = findings(report).filter((f) => isOpen(f.entry));
    if (open.length > 0) {
      return fail(
        `${open.length} review comment(s) not addressed, first: '${entryText(open[0].entry)}'`,
        name,
        open[0].pointer,
      );
    }
    return pass('all review comments addressed');
  },
};

export const reviewApproved: CheckDefinition = {
  name: 'review_approved',
  description:
    "The review verdict is approve: the report's `verdict`, or else every completed review's `verdict`.",
  params: reviewArtifactParam,
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'review_report');
    const report = asObject(artifacts[name]);
    if (!report) return fail(`artifact '${name}' is missing`, name);
    const approves = (v: unknown) =>
      typeof v === 'string' && ['approve', 'approved'].includes(v.toLowerCase());
    if (report['verdict'] !== undefined) {
      return approves(report['verdict'])
        ? pass('review approved')
        : fail(`review verdict is '${String(report['verdict'])}'`, name, '/verdict');
    }
    const reviews = (asList(report['reviews']) ?? []).map(asObject).filter((r): r is Json => r !== undefined);
    const completed = reviews.filter(isCompleted);
    if (completed.length === 0) return fail('no completed review to approve', name, '/reviews');
    const rejecting = completed.find((r) => !approves(r['verdict']));
    if (rejecting) return fail(`reviewer '${reviewerOf(rejecting)}' did not approve`, name, '/reviews');
    return pass('all reviewers approved');
  },
};

/**
 * Scopes come from artifacts, so they cannot be compiled at load; a task re-submits the same
 * scope on every attempt, so compiled matchers are kept (bounded) instead.
 */
const scopeMatchers = new Map<string, (path: string) => boolean>();

function scopeMatcher(patterns: readonly string[]): (path: string) => boolean {
  const key = patterns.join('\u0000');
  let matcher = scopeMatchers.get(key);
  if (!matcher) {
    if (scopeMatchers.size >= 256) scopeMatchers.clear();
    matcher = picomatch([...patterns], { dot: true });
    scopeMatchers.set(key, matcher);
  }
  return matcher;
}

export const implementationWithinScope: CheckDefinition = {
  name: 'implementation_within_scope',
  description:
    "Every path in implementation_files.files[].path matches a pattern of the scope's " +
    'files_to_modify (passes when the scope lists none).',
  params: {
    artifact: { type: 'string', description: 'implementation artifact (default implementation_files)' },
    scope_artifact: { type: 'string', description: 'scope artifact (default scope_definition)' },
  },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'implementation_files');
    const scopeName = stringParam(params, 'scope_artifact', 'scope_definition');
    const impl = asObject(artifacts[name]);
    if (!impl) return fail(`artifact '${name}' is missing`, name);
    const patterns = (asList(asObject(artifacts[scopeName])?.['files_to_modify']) ?? []).filter(
      (p): p is string => typeof p === 'string' && p !== '',
    );
    if (patterns.length === 0) return pass(`${scopeName} lists no files_to_modify; nothing to compare`);
    const inScope = scopeMatcher(patterns);
    const files = asList(impl['files']) ?? [];
    for (let i = 0; i < files.length; i++) {
      const entry = files[i];
      const path = typeof entry === 'string' ? entry : asObject(entry)?.['path'];
      if (typeof path === 'string' && !inScope(path.replace(/^\.\//, ''))) {
        return fail(`'${path}' is outside the scope's files_to_modify`, name, `/files/${i}`);
      }
    }
    return pass(`all ${files.length} file(s) within scope`);
  },
};

export const REVIEW_CHECKS: readonly CheckDefinition[] = [
  noBlockingIssues,
  allReviewModelsCompleted,
  reviewCommentsAddressed,
  reviewApproved,
  implementationWithinScope,
];
