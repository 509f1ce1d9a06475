/**
 * The CLI's client of paddockd over its Unix socket. Starts paddockd when it is not running.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ErrorCode, PaddockError, errorCodeFromString } from '../core/errors.js';
import { API_PREFIX, type DaemonStatus } from '../core/protocol.js';
import { resolvePaths, type PaddockPaths } from '../daemon/paths.js';

export const DAEMON_START_TIMEOUT_MS = 15_000; // paddockd normally answers within a second
const PADDOCKD_BIN = fileURLToPath(new URL('../../bin/paddockd.js', import.meta.url));

export class DaemonClient {
  constructor(readonly paths: PaddockPaths = resolvePaths()) {}

  /** JSON request; non-2xx answers become PaddockError with paddockd's code and message. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpRequest(
        {
          socketPath: this.paths.socketPath,
          path: path.startsWith('/api/') ? path : `${API_PREFIX}${path}`,
          method,
          headers: {
            'x-paddock-client': 'cli',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 500;
            if (status >= 200 && status < 300) {
              if (!text) return resolve(undefined as T);
              if ((res.headers['content-type'] ?? '').includes('application/json')) {
                try {
                  return resolve(JSON.parse(text) as T);
                } catch {
                  return reject(new PaddockError(ErrorCode.Internal, `paddockd sent malformed JSON for ${method} ${path}`));
                }
              }
              return resolve(text as T);
            }
            try {
              const e = JSON.parse(text) as { error?: { code?: string; message?: string } };
              reject(new PaddockError(errorCodeFromString(e.error?.code ?? ''), e.error?.message ?? `paddockd answered ${status}`));
            } catch {
              reject(new PaddockError(ErrorCode.Internal, `paddockd answered ${status}: ${text.slice(0, 200)}`));
            }
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
          reject(new PaddockError(ErrorCode.EngineUnavailable, 'paddockd is not running. Start it with `paddock daemon start`.'));
        } else reject(new PaddockError(ErrorCode.Internal, `cannot reach paddockd: ${err.message}`));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** Follow a streaming endpoint (SSE or text); returns a function that stops it. */
  stream(path: string, onLine: (line: string) => void, onEnd: () => void = () => {}): () => void {
    const req = httpRequest({ socketPath: this.paths.socketPath, path: path.startsWith('/api/') ? path : `${API_PREFIX}${path}`, method: 'GET', headers: { 'x-paddock-client': 'cli' } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      res.on('end', onEnd);
    });
    req.on('error', () => onEnd());
    req.end();
    return () => req.destroy();
  }

  /** Whether paddockd answers; without the engine's details (two engine round trips) unless asked. */
  async status(opts: { engine?: boolean } = {}): Promise<DaemonStatus | null> {
    if (!existsSync(this.paths.socketPath)) return null;
    try {
      return await this.request<DaemonStatus>('GET', opts.engine ? '/status' : '/status?engine=0');
    } catch {
      return null;
    }
  }
}

/** Start paddockd in the background unless it already answers. */
export async function ensureDaemon(client = new DaemonClient()): Promise<DaemonStatus> {
  const running = await client.status();
  if (running) return running;
  mkdirSync(client.paths.stateDir, { recursive: true, mode: 0o700 });
  const out = openSync(`${client.paths.logPath}.stdio`, 'a');
  const child = spawn(process.execPath, [PADDOCKD_BIN], { detached: true, stdio: ['ignore', out, out], env: process.env });
  child.unref();
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const st = await client.status();
    if (st) return st;
    if (child.exitCode !== null) break;
  }
  let tail = '';
  try {
    tail = readFileSync(`${client.paths.logPath}.stdio`, 'utf8').split('\n').slice(-5).join('\n');
  } catch {
    // no log yet
  }
  if (child.exitCode !== null) {
    const said = tail.split('\n').reverse().find((l) => l.startsWith('paddockd: '));
    throw new PaddockError(ErrorCode.Internal, said ? said.slice('paddockd: '.length) : `paddockd exited while starting (code ${child.exitCode}). See ${client.paths.logPath}.stdio${tail ? `:\n${tail}` : ''}`);
  }
  throw new PaddockError(ErrorCode.Internal, `paddockd did not start within ${DAEMON_START_TIMEOUT_MS / 1000}s. See ${client.paths.logPath}${tail ? `:\n${tail}` : ''}`);
}
