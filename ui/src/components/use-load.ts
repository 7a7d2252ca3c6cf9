import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  /** The server has no such endpoint (older server): the page says "not available". */
  unavailable: boolean;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; keeps the last good data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
        setUnavailable(false);
      },
      (e: unknown) => {
        if (!current) return;
        setUnavailable(e instanceof ApiError && e.unavailable);
        setError(describeError(e));
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, unavailable, reload };
}
