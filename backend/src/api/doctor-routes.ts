/**
 * GET /api/v1/doctor[?probe=false] → DoctorReport
 *
 * What this engine and host give each isolation tier, and the fix for whatever is missing.
 * Registered runtimes are only a claim, so each non-default runtime the engine lists is also
 * probed: a throwaway container (no network, no capabilities) runs `true` under it. The report
 * itself (`buildDoctorReport`) is a pure function of the facts, table-tested.
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Label } from '../core/labels.js';
import { API_PREFIX, type Isolation } from '../core/protocol.js';
import { KEPT_CAPABILITIES, RUNTIMES_FOR, missingRuntimeReason, runtimeFor } from '../core/spec.js';
import type { EngineInfo } from '../engine/types.js';
import { DISK_LIMIT_ENV, diskLimitFromEnv } from '../sandboxes/disk-watch.js';
import { HOST_GUARD_ENV, type HostGuard, type HostGuardStatus } from '../sandboxes/host-guard.js';
import type { AppContext, RouteModule } from './context.js';

export const PROBE_TIMEOUT_MS = 20_000; // a cold gVisor start is ~1 s; kata can take several
const PROBE_POLL_MS = 150;

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface RuntimeProbe {
  runtime: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface DoctorTier {
  isolation: Isolation;
  available: boolean;
  runtime: string | null;
  /** Registered and, where probed, a container really ran under it. */
  works: boolean | null;
  gives: string;
  reason: string | null;
  fix: string | null;
}

export interface DoctorReport {
  engine: (Pick<EngineInfo, 'version' | 'apiVersion' | 'os' | 'kernel' | 'runtimes' | 'defaultRuntime' | 'cgroupVersion' | 'rootless' | 'userns' | 'securityOptions'>) | null;
  engineError: string | null;
  host: { kvm: boolean };
  checks: DoctorCheck[];
  tiers: DoctorTier[];
  probes: RuntimeProbe[];
}

export interface DoctorFacts {
  info: EngineInfo | null;
  engineError: string | null;
  kvm: boolean;
  probes: RuntimeProbe[];
  /** Bytes, or null when the bound is off; a string when PADDOCK_DISK_LIMIT cannot be read. */
  diskLimit: number | null | string;
  /** The host firewall guard (sandboxes/host-guard.ts); null where paddockd has none (tests). */
  hostGuard?: HostGuardStatus | null;
  /** runsc's runtimeArgs in the local daemon.json carry --oci-seccomp; null when unknown. */
  gvisorOciSeccomp?: boolean | null;
}

const GIVES: Record<Isolation, string> = {
  container: `runc: all capabilities dropped but ${KEPT_CAPABILITIES.length} (${KEPT_CAPABILITIES.join(', ')}), Paddock's own seccomp profile (a default-deny allowlist that also refuses setuid/setgid bits), own pid/net/ipc/uts/mount namespaces, pids/memory/CPU limits, /tmp as a bounded tmpfs. The agent shares the host kernel: a kernel bug reachable through an allowed syscall is the way out.`,
  gvisor: "runsc: the agent's system calls are answered by gVisor's user-space kernel (the Sentry), which itself runs under a tight seccomp filter; the host kernel's attack surface shrinks to that filter. With runsc --oci-seccomp, gVisor also enforces Paddock's seccomp profile (no setuid/setgid bits) on the sandbox's own processes; runsc releases before 2026-03 do not apply it to `paddock exec` processes. Costs: slower system calls and file I/O, some kernel features missing.",
  microvm: 'Kata Containers / Firecracker: each sandbox gets its own guest kernel in a lightweight VM; a kernel exploit lands in the guest. Costs: more memory per sandbox and a slower start.',
};

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB`;
}

export function buildDoctorReport(f: DoctorFacts): DoctorReport {
  const checks: DoctorCheck[] = [];
  const probeOf = (runtime: string | null): RuntimeProbe | undefined => f.probes.find((p) => p.runtime === runtime);
  const info = f.info;

  if (!info) {
    checks.push({ name: 'engine', status: 'fail', detail: `No container engine answers: ${f.engineError ?? 'unknown error'}`, fix: 'Start Docker (systemctl start docker, or open Docker Desktop) and make sure this user can reach its socket (DOCKER_HOST or /var/run/docker.sock).' });
  } else {
    checks.push({ name: 'engine', status: 'ok', detail: `Docker ${info.version} (API ${info.apiVersion}) on ${info.os}, kernel ${info.kernel}` });
    const cg = info.cgroupVersion || 'unknown';
    checks.push(cg === '2'
      ? { name: 'cgroups', status: 'ok', detail: 'cgroup v2: memory, CPU and pids limits are enforced' }
      : { name: 'cgroups', status: 'info', detail: `cgroup v${cg}: memory, CPU and pids limits are enforced; v2 adds pressure stall information and safer delegation`, fix: 'Optional: boot with systemd.unified_cgroup_hierarchy=1 to move to cgroup v2.' });
    const seccomp = info.securityOptions.some((s) => s.includes('seccomp'));
    checks.push(seccomp
      ? { name: 'seccomp', status: 'ok', detail: "sandboxes run under Paddock's own seccomp profile: a default-deny allowlist like the engine's, which also refuses setuid/setgid bits on files (backend/src/core/seccomp.ts)" }
      : { name: 'seccomp', status: 'fail', detail: 'the engine reports no seccomp support: sandboxes would run without a system-call filter', fix: 'Use a kernel built with CONFIG_SECCOMP_FILTER and an engine built with seccomp (any distribution package is).' });
    const lsm = info.securityOptions.filter((s) => /apparmor|selinux/.test(s)).map((s) => /name=(\w+)/.exec(s)?.[1] ?? s);
    checks.push(lsm.length
      ? { name: 'LSM', status: 'ok', detail: `${lsm.join(', ')} confines containers in addition to seccomp` }
      : { name: 'LSM', status: 'info', detail: 'no AppArmor or SELinux profile: seccomp and dropped capabilities are the only confinement of the container tier', fix: 'Optional: enable AppArmor (Debian/Ubuntu: apt install apparmor; the engine then applies docker-default).' });
    checks.push(info.userns
      ? { name: 'user namespaces', status: 'ok', detail: 'userns-remap is on: root inside a sandbox is an unprivileged uid on the host' }
      : { name: 'user namespaces', status: 'info', detail: "no user-namespace remapping: the sandbox's root is uid 0 on the host for files it writes in the workspace. Paddock's seccomp profile refuses setuid/setgid bits, so it cannot leave a setuid-root file there; it can still leave root-owned files.", fix: 'Optional: an engine with userns-remap (files written by the sandbox\'s root are then owned by the remapped uid). Either way, do not run binaries an agent left in a workspace with elevated rights.' });
    checks.push(info.rootless
      ? { name: 'rootless engine', status: 'ok', detail: 'the engine runs rootless: even a container escape lands as an unprivileged user' }
      : { name: 'rootless engine', status: 'info', detail: 'the engine runs as root: an escape from the container tier would land as host root', fix: 'Optional: rootless Docker (dockerd-rootless-setuptool.sh install) or the gvisor tier for untrusted agents.' });
  }
  checks.push(f.kvm
    ? { name: '/dev/kvm', status: 'ok', detail: 'KVM is available for microVM runtimes' }
    : { name: '/dev/kvm', status: 'info', detail: 'no /dev/kvm: microVMs (Kata/Firecracker) cannot run here', fix: 'Enable virtualization in the firmware, or nested virtualization for a VM host (e.g. kvm_intel nested=1 on the hypervisor).' });
  if (typeof f.diskLimit === 'string') checks.push({ name: 'disk bound', status: 'fail', detail: f.diskLimit, fix: `Set ${DISK_LIMIT_ENV} to a size like 20g, or 0 to turn the bound off.` });
  else if (f.diskLimit === null) checks.push({ name: 'disk bound', status: 'warn', detail: `${DISK_LIMIT_ENV}=0: no bound on a sandbox's writable layer; an agent can fill the engine's disk`, fix: `Unset ${DISK_LIMIT_ENV} (default 20g) or set a size.` });
  else checks.push({ name: 'disk bound', status: 'ok', detail: `a sandbox whose writable layer passes ${gib(f.diskLimit)} is stopped (${DISK_LIMIT_ENV}); the workspace itself is your disk` });

  const g = f.hostGuard;
  if (g) {
    const byHand = g.fix?.length ? `Run as root on the engine's host:\n${g.fix.join('\n')}\n` : '';
    if (g.state === 'installed') checks.push({ name: 'host firewall', status: 'ok', detail: `sandboxes cannot reach services on this host: ${g.detail}` });
    else if (g.state === 'off') checks.push({ name: 'host firewall', status: 'warn', detail: `${g.detail}; unless your own firewall refuses them, host services listening on all addresses (0.0.0.0) are reachable from sandboxes through their network's gateway`, fix: `Unset ${HOST_GUARD_ENV}, or keep an equivalent rule yourself. ${byHand}` });
    else checks.push({ name: 'host firewall', status: 'warn', detail: `guard not installed (${g.detail}): host services listening on all addresses (0.0.0.0) are reachable from sandboxes through their network's gateway`, fix: `Run paddockd as root on the engine's host, or install the guard yourself. ${byHand} Until then, bind host services to 127.0.0.1.` });
  }

  if (info && runtimeFor('gvisor', info.runtimes) && f.gvisorOciSeccomp === false) {
    checks.push({ name: 'gvisor seccomp', status: 'warn', detail: "runsc runs without --oci-seccomp: gVisor ignores Paddock's seccomp profile, so the sandbox's root can leave a setuid-root file in the workspace on the gvisor tier", fix: 'With a runsc from 2026 or later, add "--oci-seccomp" to runsc\'s "runtimeArgs" in /etc/docker/daemon.json, then reload the engine: kill -HUP $(cat /var/run/docker.pid). Older runsc (Debian\'s 2022 build) logs every interactive shell out at once with it, so Paddock does not set it. Until then, on the gvisor tier do not run binaries an agent left in a workspace with elevated rights.' });
  }

  const tiers: DoctorTier[] = (['container', 'gvisor', 'microvm'] as Isolation[]).map((isolation) => {
    const runtime = info ? runtimeFor(isolation, info.runtimes) : null;
    const probe = probeOf(runtime);
    if (!info) return { isolation, available: false, runtime: null, works: null, gives: GIVES[isolation], reason: 'no engine', fix: 'Start the engine first.' };
    if (!runtime) {
      const reasons: string[] = [`no ${RUNTIMES_FOR[isolation].join('/')} runtime is registered with the engine`];
      if (isolation === 'microvm' && !f.kvm) reasons.push('no /dev/kvm on this host');
      return { isolation, available: false, runtime: null, works: null, gives: GIVES[isolation], reason: reasons.join('; '), fix: missingRuntimeReason(isolation) };
    }
    if (probe && !probe.ok) {
      return { isolation, available: true, runtime, works: false, gives: GIVES[isolation], reason: `registered, but a probe container failed under ${runtime}: ${probe.detail}`, fix: `Check the runtime's own log (journalctl -u docker; for runsc: runsc --debug) and its entry in /etc/docker/daemon.json.` };
    }
    return { isolation, available: true, runtime, works: probe ? true : null, gives: GIVES[isolation], reason: null, fix: null };
  });

  return {
    engine: info ? { version: info.version, apiVersion: info.apiVersion, os: info.os, kernel: info.kernel, runtimes: info.runtimes, defaultRuntime: info.defaultRuntime, cgroupVersion: info.cgroupVersion, rootless: info.rootless, userns: info.userns, securityOptions: info.securityOptions } : null,
    engineError: info ? null : f.engineError,
    host: { kvm: f.kvm },
    checks,
    tiers,
    probes: f.probes,
  };
}

/** Run `true` under a runtime in a throwaway container; any local Paddock image will do. */
async function probeRuntime(ctx: AppContext, runtime: string, image: string): Promise<RuntimeProbe> {
  const t0 = Date.now();
  const name = `paddock-doctor-${runtime.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${randomBytes(3).toString('hex')}`;
  let id: string | null = null;
  try {
    id = await ctx.engine.containers.create({
      name,
      Image: image,
      Entrypoint: ['true'],
      Cmd: [],
      Labels: { ...ctx.extraLabels, [Label.Managed]: 'true', [Label.Kind]: 'doctor' },
      HostConfig: { Runtime: runtime, NetworkMode: 'none', CapDrop: ['ALL'], RestartPolicy: { Name: 'no' } },
    });
    await ctx.engine.containers.start(id);
    while (Date.now() - t0 < PROBE_TIMEOUT_MS) {
      const c = await ctx.engine.containers.inspect(id);
      if (c && c.state !== 'running' && c.state !== 'created') {
        return c.exitCode === 0
          ? { runtime, ok: true, ms: Date.now() - t0, detail: `a container ran under ${runtime} in ${Date.now() - t0} ms` }
          : { runtime, ok: false, ms: Date.now() - t0, detail: `the probe exited with ${c.exitCode}` };
      }
      await new Promise((r) => setTimeout(r, PROBE_POLL_MS));
    }
    return { runtime, ok: false, ms: Date.now() - t0, detail: `the probe did not finish within ${PROBE_TIMEOUT_MS / 1000} s` };
  } catch (err) {
    return { runtime, ok: false, ms: Date.now() - t0, detail: (err as Error).message };
  } finally {
    if (id) await ctx.engine.containers.remove(id, { force: true }).catch(() => undefined);
  }
}

/** An image already on the engine, so the probe never pulls or builds. */
async function probeImage(ctx: AppContext): Promise<string | null> {
  const env = process.env.PADDOCK_DOCTOR_PROBE_IMAGE;
  if (env && (await ctx.engine.images.exists(env))) return env;
  const sandboxes = await ctx.engine.containers.list({ [Label.Managed]: 'true', [Label.Kind]: 'sandbox' });
  for (const s of sandboxes) if (await ctx.engine.images.exists(s.image)) return s.image;
  return null;
}

export async function gatherDoctorFacts(ctx: AppContext, opts: { probe: boolean }): Promise<DoctorFacts> {
  let info: EngineInfo | null = null;
  let engineError: string | null = null;
  try {
    info = await ctx.engine.info();
  } catch (err) {
    engineError = (err as Error).message;
  }
  let diskLimit: DoctorFacts['diskLimit'];
  try {
    diskLimit = diskLimitFromEnv();
  } catch (err) {
    diskLimit = (err as Error).message;
  }
  const probes: RuntimeProbe[] = [];
  if (info && opts.probe) {
    const wanted = (['gvisor', 'microvm'] as Isolation[]).map((i) => runtimeFor(i, info!.runtimes)).filter((r): r is string => r !== null);
    const image = wanted.length ? await probeImage(ctx) : null;
    // Without a local Paddock image there is nothing to probe with (the doctor never pulls): works stays null.
    if (image) for (const r of wanted) probes.push(await probeRuntime(ctx, r, image));
  }
  const guard = ctx.services.hostGuard as HostGuard | undefined;
  return { info, engineError, kvm: existsSync('/dev/kvm'), probes, diskLimit, hostGuard: guard ? guard.ensure() : null, gvisorOciSeccomp: runscOciSeccomp() };
}

/** Whether the local daemon.json gives runsc --oci-seccomp (null: no readable daemon.json or no runsc entry). */
export function runscOciSeccomp(path = '/etc/docker/daemon.json'): boolean | null {
  try {
    const cfg = JSON.parse(readFileSync(path, 'utf8')) as { runtimes?: Record<string, { runtimeArgs?: string[] }> };
    const runsc = cfg.runtimes?.runsc;
    return runsc ? (runsc.runtimeArgs ?? []).some((a) => /^--?oci-seccomp(=true)?$/.test(a)) : null;
  } catch {
    return null;
  }
}

export const registerDoctorRoutes: RouteModule = (app, ctx) => {
  app.get(`${API_PREFIX}/doctor`, async (req) => {
    const q = (req.query ?? {}) as { probe?: string };
    const probe = !(q.probe === 'false' || q.probe === '0');
    return buildDoctorReport(await gatherDoctorFacts(ctx, { probe }));
  });
};
