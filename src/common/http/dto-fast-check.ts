import { getMetadataStorage } from 'class-validator';

type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/**
 * A DTO class's class-validator rules compiled once into one plain function that answers "does
 * this instance certainly pass?", so the common case — a valid request — costs a few property
 * reads instead of class-validator's per-call metadata lookup and promise-based executor.
 *
 * The check only ever accepts: `true` means class-validator (with `whitelist` and
 * `forbidNonWhitelisted`, no groups) would find no error; `false` means "not sure", and the caller
 * runs class-validator itself, which then produces the error body exactly as before. A class is
 * compiled only when every rule on it is one of the few below with an exact (or stricter)
 * equivalent; anything else — nested validation, `each`, groups, `always`, custom constraints,
 * ValidateIf — gives `null`, and the class is always validated by class-validator.
 */
export type FastCheck = (entity: object) => boolean;

type Predicate = (value: unknown) => boolean;

/** Rule name → predicate factory from the rule's constraints; each as strict as class-validator's or stricter. */
const RULES: Record<string, (constraints: readonly unknown[]) => Predicate | null> = {
  isString: () => (v) => typeof v === 'string',
  // class-validator counts a surrogate pair (and U+FE0E/F) as one character: a string whose
  // UTF-16 length is within the limit is certainly within it; a longer one is left to it.
  maxLength:
    ([max]) =>
    (v) =>
      typeof v === 'string' && typeof max === 'number' && v.length <= max,
  matches: ([pattern, modifiers]) => {
    let re: RegExp;
    if (pattern instanceof RegExp) {
      if (modifiers !== undefined || /[gy]/.test(pattern.flags)) return null;
      re = pattern;
    } else if (typeof pattern === 'string' && (modifiers === undefined || typeof modifiers === 'string')) {
      if (modifiers && /[gy]/.test(modifiers)) return null;
      re = new RegExp(pattern, modifiers);
    } else return null;
    return (v) => typeof v === 'string' && re.test(v);
  },
  isObject: () => (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  isInt: () => (v) => typeof v === 'number' && Number.isInteger(v),
  min:
    ([min]) =>
    (v) =>
      typeof v === 'number' && typeof min === 'number' && v >= min,
  max:
    ([max]) =>
    (v) =>
      typeof v === 'number' && typeof max === 'number' && v <= max,
  isBoolean: () => (v) => typeof v === 'boolean',
  isNotEmpty: () => (v) => v !== '' && v !== null && v !== undefined,
  isIn: ([allowed]) => {
    if (!Array.isArray(allowed)) return null;
    const values: readonly unknown[] = allowed;
    return (v) => values.includes(v) && (typeof v !== 'number' || !Number.isNaN(v));
  },
  isArray: () => (v) => Array.isArray(v),
  arrayMaxSize:
    ([max]) =>
    (v) =>
      Array.isArray(v) && typeof max === 'number' && v.length <= max,
};

const compiled = new WeakMap<object, FastCheck | null>();

/** The compiled check of `dto` (cached), or null when its rules are not all compilable. */
export function fastCheckFor(dto: abstract new (...args: never[]) => unknown): FastCheck | null {
  let check = compiled.get(dto);
  if (check === undefined) {
    check = compile(dto);
    compiled.set(dto, check);
  }
  return check;
}

interface PropertyCheck {
  readonly name: string;
  readonly optional: boolean;
  readonly predicates: readonly Predicate[];
}

function compile(dto: abstract new (...args: never[]) => unknown): FastCheck | null {
  // The same selection class-validator's executor makes with no groups, always=false.
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(
    dto,
    undefined as unknown as string,
    false,
    false,
    undefined,
  );
  if (metadatas.length === 0) return null; // forbidUnknownValues territory: leave it to class-validator
  const byProperty = new Map<string, { optional: boolean; predicates: Predicate[] }>();
  for (const m of metadatas) {
    const entry = byProperty.get(m.propertyName) ?? { optional: false, predicates: [] };
    byProperty.set(m.propertyName, entry);
    if (!plain(m)) return null;
    if (m.type === 'conditionalValidation' && m.name === 'isOptional') {
      entry.optional = true;
      continue;
    }
    if (m.type !== 'customValidation' || m.name === undefined || !Object.hasOwn(RULES, m.name)) return null;
    const predicate = RULES[m.name](m.constraints ?? []);
    if (!predicate) return null;
    entry.predicates.push(predicate);
  }
  const properties: PropertyCheck[] = [...byProperty].map(([name, e]) => ({ name, ...e }));
  const known = new Set(byProperty.keys());
  return (entity) => {
    const record = entity as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!known.has(key)) return false;
    for (const { name, optional, predicates } of properties) {
      const value = record[name];
      if (optional && (value === null || value === undefined)) continue;
      for (const ok of predicates) if (!ok(value)) return false;
    }
    return true;
  };
}

/** No `each`, no groups, not `always`, no context-dependent condition. */
function plain(m: ValidationMetadata): boolean {
  return !m.each && !m.always && (m.groups === undefined || m.groups.length === 0);
}
