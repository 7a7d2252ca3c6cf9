/**
 * Maps environment variables onto config keys: `ORCHESTRATOR_<SECTION>_<KEY>` for every key,
 * plus the deployment guide's short forms.
 */
export const ENV_PREFIX = 'ORCHESTRATOR_';

/** The guide's short forms, checked before the long form is parsed. */
export const SHORT_FORMS: Readonly<Record<string, string>> = {
  ORCHESTRATOR_LOG_LEVEL: 'logging.level',
  ORCHESTRATOR_LOG_FILE: 'logging.file',
  ORCHESTRATOR_LOG_FORMAT: 'logging.format',
  ORCHESTRATOR_STATE_FILE: 'state.state_file',
  ORCHESTRATOR_AUDIT_FILE: 'audit.audit_file',
  ORCHESTRATOR_WORKFLOW_FILE: 'workflow.path',
};

/** Env variable spelling of a key, e.g. `server.port` → `ORCHESTRATOR_SERVER_PORT`. */
export function envNameOf(key: string): string {
  return ENV_PREFIX + key.replace('.', '_').toUpperCase();
}

export interface EnvAssignment {
  key: string;
  raw: string;
  envName: string;
}

/**
 * Env assignments that target config keys. A variable of a known section is an assignment
 * even when its key is unknown (the loader rejects it by name); other ORCHESTRATOR_* variables (client settings such as
 * ORCHESTRATOR_URL, the secret itself) are not config keys and are ignored.
 */
export function collectEnvAssignments(
  env: NodeJS.ProcessEnv,
  sections: readonly string[],
  ignore: ReadonlySet<string>,
): EnvAssignment[] {
  const assignments: EnvAssignment[] = [];
  const longForms: EnvAssignment[] = [];
  for (const [envName, raw] of Object.entries(env)) {
    if (raw === undefined || !envName.startsWith(ENV_PREFIX) || ignore.has(envName)) continue;
    const short = SHORT_FORMS[envName];
    if (short) {
      assignments.push({ key: short, raw, envName });
      continue;
    }
    const rest = envName.slice(ENV_PREFIX.length).toLowerCase();
    const section = sections.find((s) => rest.startsWith(`${s}_`));
    if (!section) continue;
    longForms.push({ key: `${section}.${rest.slice(section.length + 1)}`, raw, envName });
  }
  // Long forms win over short forms: they are the precise spelling.
  for (const a of longForms) assignments.push(a);
  return assignments;
}
