/**
 * Step timings of the lifecycle paths people wait on (create, start), for profiling against the
 * benchmarks: with PADDOCK_TRACE=1 paddockd logs each step's milliseconds when the path ends.
 */
export interface Trace {
  mark(step: string): void;
  done(log: (fields: Record<string, unknown>, msg: string) => void): void;
}

const NOOP: Trace = { mark: () => {}, done: () => {} };

export function startTrace(path: string, sandbox: string, enabled = process.env.PADDOCK_TRACE === '1'): Trace {
  if (!enabled) return NOOP;
  const t0 = performance.now();
  let last = t0;
  const steps: Record<string, number> = {};
  return {
    mark(step) {
      const now = performance.now();
      steps[step] = Math.round((steps[step] ?? 0) + now - last);
      last = now;
    },
    done(log) {
      log({ trace: path, sandbox, totalMs: Math.round(performance.now() - t0), steps }, `trace ${path}`);
    },
  };
}
