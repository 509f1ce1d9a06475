/** Parse human sizes and CPU counts. Pure. */
import { ErrorCode, PaddockError } from './errors.js';

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1024, ki: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gi: 1024 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1024 ** 4, ti: 1024 ** 4, tib: 1024 ** 4,
};

export const MIN_MEMORY_BYTES = 64 * 1024 ** 2; // below this node-based agents cannot even start

/** "512m", "2g", "1.5GiB", 1073741824 → bytes. */
export function parseMemory(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input <= 0) throw badMemory(String(input));
    return checkMin(input, String(input));
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) throw badMemory(input);
  const unit = UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) throw badMemory(input);
  const bytes = Math.floor(Number(m[1]) * unit);
  return checkMin(bytes, input);
}

function checkMin(bytes: number, input: string): number {
  if (bytes < MIN_MEMORY_BYTES) {
    throw new PaddockError(ErrorCode.BadInput, `Memory "${input}" is below the 64m minimum an agent needs. Use e.g. --memory 2g.`);
  }
  return bytes;
}

function badMemory(input: string): PaddockError {
  return new PaddockError(ErrorCode.BadInput, `Cannot read memory size "${input}". Use a number with a unit, e.g. 512m or 4g.`);
}

/** "2", "0.5", 1.5 → CPUs as a number. */
export function parseCpus(input: string | number): number {
  const n = typeof input === 'number' ? input : /^\s*\d+(\.\d+)?\s*$/.test(input) ? Number(input) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 1024) {
    throw new PaddockError(ErrorCode.BadInput, `Cannot read CPU count "${input}". Use a positive number such as 2 or 0.5.`);
  }
  return n;
}

export function parsePids(input: string | number): number {
  const n = typeof input === 'number' ? input : /^\s*\d+\s*$/.test(input) ? Number(input) : NaN;
  if (!Number.isInteger(n) || n < 16 || n > 1_000_000) {
    throw new PaddockError(ErrorCode.BadInput, `Cannot use pids limit "${input}". Use a whole number from 16 to 1000000, e.g. --pids 512.`);
  }
  return n;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)}${units[i]}`;
}
