/** Plain-text tables for the terminal: padded columns, cells may span several lines. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const split = (cell: string) => cell.split('\n');
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => Math.max(...split(r[i] ?? '').map((l) => l.length)))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(headers), line(widths.map((w) => '-'.repeat(w)))];
  for (const row of rows) {
    const cells = headers.map((_, i) => split(row[i] ?? ''));
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(cells.map((c) => c[k] ?? '')));
  }
  return out.join('\n');
}

/** Joins words with ', ' into lines of at most `width` characters. */
export function wrapList(items: readonly string[], width = 40): string {
  if (items.length === 0) return '-';
  const lines: string[] = [];
  let current = '';
  for (const item of items) {
    const next = current ? `${current}, ${item}` : item;
    if (current && next.length > width) {
      lines.push(`${current},`);
      current = item;
    } else {
      current = next;
    }
  }
  lines.push(current);
  return lines.join('\n');
}
