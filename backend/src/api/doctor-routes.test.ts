import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../engine/types.js';
import { buildDoctorReport, type DoctorFacts } from './doctor-routes.js';
import { formatDoctor } from '../cli/commands/doctor.js';

const info = (over: Partial<EngineInfo> = {}): EngineInfo => ({
  version: '20.10.24', apiVersion: '1.41', runtimes: ['runc', 'runsc'], defaultRuntime: 'runc', cgroupVersion: '1',
  securityOptions: ['name=seccomp,profile=default'], rootless: false, userns: false, os: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0', ...over,
});
const facts = (over: Partial<DoctorFacts> = {}): DoctorFacts => ({
  info: info(), engineError: null, kvm: false, diskLimit: 20 * 1024 ** 3,
  probes: [{ runtime: 'runsc', ok: true, ms: 900, detail: 'ran' }], ...over,
});
const tier = (f: DoctorFacts, i: string) => buildDoctorReport(f).tiers.find((t) => t.isolation === i)!;
const check = (f: DoctorFacts, n: string) => buildDoctorReport(f).checks.find((c) => c.name === n)!;

describe('buildDoctorReport', () => {
  it('a Debian host with runsc and no KVM: container and gvisor work, microvm says why not and how to fix', () => {
    const f = facts();
    expect(tier(f, 'container')).toMatchObject({ available: true, runtime: 'runc' });
    expect(tier(f, 'gvisor')).toMatchObject({ available: true, runtime: 'runsc', works: true, reason: null });
    const mv = tier(f, 'microvm');
    expect(mv).toMatchObject({ available: false, works: null });
    expect(mv.reason).toMatch(/no kata.*runtime is registered.*no \/dev\/kvm/);
    expect(mv.fix).toMatch(/Kata/);
  });

  it('a registered runtime whose probe fails is reported broken, with a fix', () => {
    const t = tier(facts({ probes: [{ runtime: 'runsc', ok: false, ms: 20, detail: 'exit 128' }] }), 'gvisor');
    expect(t).toMatchObject({ available: true, works: false });
    expect(t.reason).toMatch(/probe container failed.*exit 128/);
    expect(t.fix).toBeTruthy();
  });

  it('no probe image: available but not proven', () => {
    expect(tier(facts({ probes: [] }), 'gvisor')).toMatchObject({ available: true, works: null });
  });

  it('kata + kvm → microvm available', () => {
    expect(tier(facts({ kvm: true, info: info({ runtimes: ['runc', 'kata-runtime'] }) }), 'microvm')).toMatchObject({ available: true, runtime: 'kata-runtime' });
  });

  it.each([
    // Paddock's seccomp profile refuses setuid/setgid bits, so no remapping is a note, not a hole
    ['userns off', facts(), 'user namespaces', 'info'],
    ['userns on', facts({ info: info({ userns: true }) }), 'user namespaces', 'ok'],
    ['no seccomp', facts({ info: info({ securityOptions: [] }) }), 'seccomp', 'fail'],
    ['cgroup v1', facts(), 'cgroups', 'info'],
    ['cgroup v2', facts({ info: info({ cgroupVersion: '2' }) }), 'cgroups', 'ok'],
    ['rootless', facts({ info: info({ rootless: true }) }), 'rootless engine', 'ok'],
    ['disk bound off', facts({ diskLimit: null }), 'disk bound', 'warn'],
    ['host guard installed', facts({ hostGuard: { state: 'installed', detail: 'chain PADDOCK-INPUT', fix: null } }), 'host firewall', 'ok'],
    ['host guard impossible (not root)', facts({ hostGuard: { state: 'unavailable', detail: 'paddockd runs as uid 1000', fix: ['iptables -N PADDOCK-INPUT'] } }), 'host firewall', 'warn'],
    ['host guard off', facts({ hostGuard: { state: 'off', detail: 'PADDOCK_HOST_GUARD=off', fix: ['iptables -N PADDOCK-INPUT'] } }), 'host firewall', 'warn'],
    ['runsc without --oci-seccomp', facts({ gvisorOciSeccomp: false }), 'gvisor seccomp', 'warn'],
    ['disk bound unreadable', facts({ diskLimit: 'PADDOCK_DISK_LIMIT="x" is not a disk size' }), 'disk bound', 'fail'],
  ] as const)('%s', (_t, f, name, status) => {
    const c = check(f, name);
    expect(c.status).toBe(status);
    if (status !== 'ok') expect(c.fix).toBeTruthy();
  });

  it('no engine: one failing check with the fix, every tier unavailable', () => {
    const r = buildDoctorReport(facts({ info: null, engineError: 'connect ENOENT /var/run/docker.sock', probes: [] }));
    expect(r.checks[0]).toMatchObject({ name: 'engine', status: 'fail' });
    expect(r.checks[0]!.fix).toMatch(/Start Docker/);
    expect(r.tiers.every((t) => !t.available)).toBe(true);
  });

  it('prints a readable report', () => {
    const text = formatDoctor(buildDoctorReport(facts()), null);
    expect(text).toMatch(/^Engine {3}Docker 20\.10\.24, API 1\.41$/m);
    expect(text).toMatch(/^ {2}gvisor {4}works {7}runtime runsc \(probe container ran in 900 ms\)$/m);
    expect(text).toMatch(/^ {2}microvm {3}unavailable/m);
    expect(text).toMatch(/note {2}user namespaces/);
  });

  it('prints the commands that install the host guard by hand, one per line', () => {
    const text = formatDoctor(buildDoctorReport(facts({ hostGuard: { state: 'unavailable', detail: 'paddockd runs as uid 1000', fix: ['iptables -N PADDOCK-INPUT', 'iptables -I INPUT 1 -j PADDOCK-INPUT'] } })), null);
    expect(text).toMatch(/WARN {2}host firewall/);
    expect(text).toMatch(/^ +iptables -N PADDOCK-INPUT$/m);
    expect(text).toMatch(/^ +iptables -I INPUT 1 -j PADDOCK-INPUT$/m);
  });

  it('has no gvisor seccomp note when runsc enforces the profile, or nothing is known', () => {
    expect(buildDoctorReport(facts({ gvisorOciSeccomp: true })).checks.find((c) => c.name === 'gvisor seccomp')).toBeUndefined();
    expect(buildDoctorReport(facts({ gvisorOciSeccomp: null })).checks.find((c) => c.name === 'gvisor seccomp')).toBeUndefined();
  });
});
