import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, withQuery } from '../api';
import { JsonView, time } from '../components/json-view';
import { useLoad } from '../components/use-load';
import type { Live } from '../console';
import { taskHref } from '../route';
import type { AuditEntry, AuditPage as AuditPageBody, AuditVerify } from '../types';

interface Filters {
  task_id: string;
  tool_name: string;
  decision: string;
  actor: string;
  since: string;
  until: string;
}

/** The audit log's decisions (src/audit/domain/audit-entry.ts). */
const DECISIONS = ['', 'allowed', 'denied', 'blocked', 'error', 'n/a'];
const iso = (local: string) => (local ? new Date(local).toISOString() : '');

/** Searches the audit log by task, tool, decision, actor and time range; shows whether the chain verifies. */
export function AuditPage({ live, task }: { live: Live; task?: string }) {
  const [form, setForm] = useState<Filters>({
    task_id: task ?? '',
    tool_name: '',
    decision: '',
    actor: '',
    since: '',
    until: '',
  });
  const [query, setQuery] = useState<Filters>(form);
  const [note, setNote] = useState<string | null>(null);
  const verify = useLoad(() => live.api<AuditVerify>('GET', '/api/v1/audit/verify'), []);
  const results = useLoad(async () => {
    setNote(null);
    const base = {
      task_id: query.task_id,
      tool_name: query.tool_name,
      since: iso(query.since),
      until: iso(query.until),
      limit: 200,
    };
    try {
      return await live.api<AuditPageBody>(
        'GET',
        withQuery('/api/v1/audit/query', { ...base, decision: query.decision, actor: query.actor }),
      );
    } catch (e) {
      // A server without the decision and actor filters refuses them: filter those here instead.
      if (!(e instanceof ApiError && e.code === 'validation_failed' && (query.decision || query.actor)))
        throw e;
      const page = await live.api<AuditPageBody>(
        'GET',
        withQuery('/api/v1/audit/query', { ...base, limit: 1000 }),
      );
      setNote(
        'This server cannot filter by decision or actor: those filters were applied in the browser to the last 1000 matches.',
      );
      return {
        ...page,
        entries: page.entries.filter(
          (entry) =>
            (!query.decision || entry.decision === query.decision) &&
            (!query.actor || entry.actor === query.actor),
        ),
      };
    }
  }, [query]);
  const field = (name: keyof Filters, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <label>
      {label}
      <input
        name={name}
        // (Preact's input types are a union per type; both of these take a string value.)
        type={type as 'text'}
        value={form[name]}
        onInput={(e) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );
  return (
    <section>
      <hgroup>
        <h2>Audit</h2>
        <p>The hash-chained log of every decision.</p>
      </hgroup>
      <VerifyStatus verify={verify.data} error={verify.error} />
      <form
        class="audit-search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ ...form });
        }}
      >
        <div class="grid">
          {field('task_id', 'Task id')}
          {field('tool_name', 'Tool')}
          <label>
            Decision
            <select
              name="decision"
              value={form.decision}
              onChange={(e) => setForm({ ...form, decision: (e.target as HTMLSelectElement).value })}
            >
              {DECISIONS.map((d) => (
                <option key={d} value={d}>
                  {d || 'any'}
                </option>
              ))}
            </select>
          </label>
          {field('actor', 'Actor')}
          {field('since', 'Since', 'datetime-local')}
          {field('until', 'Until', 'datetime-local')}
        </div>
        <button type="submit">Search</button>
      </form>
      {note && <p class="notice">{note}</p>}
      {results.error && (
        <p class="error" role="alert">
          {results.error}
        </p>
      )}
      {results.data && <AuditTable entries={results.data.entries} />}
    </section>
  );
}

function VerifyStatus({ verify, error }: { verify: AuditVerify | null; error: string | null }) {
  if (error) return <p class="error">Chain verification: {error}</p>;
  if (!verify) return <p aria-busy="true">Verifying the chain…</p>;
  return (
    <p class={verify.valid ? 'ok verify' : 'error verify'} data-testid="verify-status">
      {verify.valid ? '✔ Chain verified' : '✘ Chain broken'}: {verify.entries} entries
      {verify.first_seq !== null && ` (seq ${verify.first_seq}–${verify.last_seq})`}
      {verify.signatures_checked ? ', signatures checked' : ''}
    </p>
  );
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  const [open, setOpen] = useState<number | null>(null);
  if (entries.length === 0) return <p class="muted">No entry matches.</p>;
  return (
    <table class="striped audit" data-testid="audit-results">
      <thead>
        <tr>
          <th>Seq</th>
          <th>Time</th>
          <th>Actor</th>
          <th>Action</th>
          <th>Decision</th>
          <th>Task</th>
          <th>Tool</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <Fragment key={e.seq}>
            <tr
              class={e.success ? '' : 'denied'}
              data-testid="audit-row"
              onClick={() => setOpen(open === e.seq ? null : e.seq)}
            >
              <td>{e.seq}</td>
              <td>{time(e.ts)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td>{e.decision}</td>
              <td>{e.task_id ? <a href={taskHref(e.task_id)}>{e.task_id.slice(0, 8)}</a> : '—'}</td>
              <td>{e.tool ?? e.tool_name ?? '—'}</td>
              <td>{e.reason ?? ''}</td>
            </tr>
            {open === e.seq && (
              <tr>
                <td colSpan={8}>
                  <JsonView value={{ args: e.args, blockers: e.blockers, details: e.details }} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
