import { type ValidationError } from 'class-validator';

/** Flattens class-validator errors to `path: reason` lines, e.g. `artifacts.plan: must be an object`. */
export function validationMessages(errors: ValidationError[], parent = ''): string[] {
  const out: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      const reason = message.startsWith(`${error.property} `)
        ? message.slice(error.property.length + 1)
        : message;
      out.push(`${path}: ${reason}`);
    }
    if (error.children?.length) out.push(...validationMessages(error.children, path));
  }
  return out;
}
