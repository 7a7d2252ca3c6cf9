/** A value as indented JSON, in a <pre> as text: whatever an agent put in it is never markup. */
export function JsonView({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

export const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
