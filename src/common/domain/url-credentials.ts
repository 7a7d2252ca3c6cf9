// `scheme://user:password@host`: the password part of any URL inside a text.
// Greedy up to the authority's last `@`, so an unencoded `@` in the password is hidden too.
const CREDENTIALS_IN_URL = /(\/\/[^/@:\s]*):[^/\s]*@/g;

/** The text with every URL password replaced by `[redacted]` (user and host stay readable). */
export function redactUrlCredentials(text: string): string {
  return text.replace(CREDENTIALS_IN_URL, '$1:[redacted]@');
}
