/**
 * Caps that keep one tool call from exhausting memory, disk or CPU. Defaults suit a coding
 * agent's workspace; the registry takes overrides (tests use small ones).
 */
export interface ToolLimits {
  /** Bytes returned per file by read_files; the rest is dropped and the file marked truncated. */
  readonly readMaxFileBytes: number;
  /** Bytes returned per read_files call across all its files. */
  readonly readMaxTotalBytes: number;
  /** Bytes read_files reads per call to find line windows (`offset`); past them it stops, truncated. */
  readonly readMaxScanBytes: number;
  /** Paths per read_files or write_files call. */
  readonly maxFilesPerCall: number;
  /** Content bytes per write_files call, and the largest file edit_files will rewrite. */
  readonly writeMaxBytes: number;
  /** grep skips larger files (counted in `files_skipped.too_large`). */
  readonly searchMaxFileBytes: number;
  /** grep stops after scanning this many bytes and marks the result truncated. */
  readonly searchMaxTotalBytes: number;
  /** Longer lines are matched on their first this-many characters only. */
  readonly searchMaxLineChars: number;
  /** Wall-clock budget for all regex matching of one grep call (catastrophic patterns). */
  readonly searchTimeoutMs: number;
  /** Directory entries one grep or glob walk visits before it stops, marked truncated. */
  readonly walkMaxEntries: number;
  /** Characters of a matched or context line returned by grep. */
  readonly lineTextChars: number;
}

export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  readMaxFileBytes: 1024 * 1024,
  readMaxTotalBytes: 8 * 1024 * 1024,
  readMaxScanBytes: 64 * 1024 * 1024,
  maxFilesPerCall: 100,
  writeMaxBytes: 16 * 1024 * 1024,
  searchMaxFileBytes: 4 * 1024 * 1024,
  searchMaxTotalBytes: 64 * 1024 * 1024,
  searchMaxLineChars: 4096,
  searchTimeoutMs: 10_000,
  walkMaxEntries: 100_000,
  lineTextChars: 500,
};

/** Upper bounds of `max_results` in the grep and glob schemas (schemas are static). */
export const MAX_GREP_RESULTS = 2000;
export const MAX_GLOB_RESULTS = 10_000;
