/** Where audit commands write; tests pass collectors, the CLI passes process streams. */
export interface AuditCliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: AuditCliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};
