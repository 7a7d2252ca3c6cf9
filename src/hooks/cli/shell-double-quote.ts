/**
 * `value` inside double quotes for `/bin/sh`, expanding only plain variables (`$NAME`, `${NAME}`)
 * so a settings path can say `$CLAUDE_PROJECT_DIR`. Everything else that is special there —
 * `"`, `\`, backquotes and any other `$` (command substitution, `${x:-…}`) — is escaped.
 */
export function shellDoubleQuote(value: string): string {
  const escaped = value.replace(/["\\`]|\$(?!\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_])/g, '\\$&');
  return `"${escaped}"`;
}
