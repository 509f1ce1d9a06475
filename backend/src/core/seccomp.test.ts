import { describe, expect, it } from 'vitest';
import {
  ALLOWED_SYSCALLS, ENOSYS, ENOSYS_SYSCALLS, EPERM, O_CREAT, O_TMPFILE_BIT, buildSeccompProfile, evaluateSeccomp, seccompSecurityOpt,
} from './seccomp.js';

const p = buildSeccompProfile();
const allow = { action: 'allow' };
const eperm = { action: 'errno', errno: EPERM };
const enosys = { action: 'errno', errno: ENOSYS };
const O_WRONLY = 0o1;
const O_RDONLY = 0;
const O_TMPFILE = O_TMPFILE_BIT | 0o200000;
const S_IFREG = 0o100000;

describe('seccomp profile', () => {
  it('denies by default with EPERM, like the engine\'s default profile, on the native architectures only', () => {
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(EPERM);
    expect(p.archMap.map((a) => a.architecture)).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
    expect(p.archMap.every((a) => a.subArchitectures.length === 0)).toBe(true);
  });

  it.each([
    // [call, args, expected]
    ['chmod 0755', 'chmod', [0, 0o755], allow],
    ['chmod 4755 (setuid)', 'chmod', [0, 0o4755], eperm],
    ['chmod 2755 (setgid)', 'chmod', [0, 0o2755], eperm],
    ['chmod 1777 (sticky is fine)', 'chmod', [0, 0o1777], allow],
    ['fchmod 0644', 'fchmod', [3, 0o644], allow],
    ['fchmod 6755', 'fchmod', [3, 0o6755], eperm],
    ['fchmodat 0755', 'fchmodat', [-100, 0, 0o755], allow],
    ['fchmodat 4711', 'fchmodat', [-100, 0, 0o4711], eperm],
    ['fchmodat2: ENOSYS, libc falls back to fchmodat', 'fchmodat2', [-100, 0, 0o755, 0], enosys],
    ['open without O_CREAT ignores the mode register', 'open', [0, O_RDONLY, 0o4755], allow],
    ['open O_CREAT 0644', 'open', [0, O_CREAT | O_WRONLY, 0o644], allow],
    ['open O_CREAT 4755', 'open', [0, O_CREAT | O_WRONLY, 0o4755], eperm],
    ['openat O_CREAT 0600', 'openat', [-100, 0, O_CREAT | O_WRONLY, 0o600], allow],
    ['openat O_CREAT 2755', 'openat', [-100, 0, O_CREAT | O_WRONLY, 0o2755], eperm],
    ['openat O_TMPFILE 4755', 'openat', [-100, 0, O_TMPFILE | O_WRONLY, 0o4755], eperm],
    ['openat read-only', 'openat', [-100, 0, O_RDONLY, 0], allow],
    ['openat2: ENOSYS (its mode sits in a struct)', 'openat2', [-100, 0, 0, 24], enosys],
    ['creat 0644', 'creat', [0, 0o644], allow],
    ['creat 4755', 'creat', [0, 0o4755], eperm],
    ['mknod regular file 0644', 'mknod', [0, S_IFREG | 0o644, 0], allow],
    ['mknod regular file 4755', 'mknod', [0, S_IFREG | 0o4755, 0], eperm],
    ['mknodat regular file 2755', 'mknodat', [-100, 0, S_IFREG | 0o2755, 0], eperm],
    ['io_uring_setup: ENOSYS (its opens bypass the filter)', 'io_uring_setup', [8, 0], enosys],
    ['clone3: ENOSYS, libc falls back to clone', 'clone3', [0, 88], enosys],
    ['clone of a thread', 'clone', [0x3d0f00], allow],
    ['clone with CLONE_NEWUSER', 'clone', [0x10000000 | 0x11], eperm],
    ['clone with CLONE_NEWNS', 'clone', [0x20000 | 0x11], eperm],
    ['socket AF_INET', 'socket', [2, 1, 0], allow],
    ['socket AF_VSOCK', 'socket', [40, 1, 0], eperm],
    ['personality query', 'personality', [0xffffffff], allow],
    ['personality ADDR_NO_RANDOMIZE', 'personality', [0x0040000], eperm],
    ['mount', 'mount', [], eperm],
    ['unshare', 'unshare', [0x10000000], eperm],
    ['setns', 'setns', [], eperm],
    ['bpf', 'bpf', [], eperm],
    ['perf_event_open', 'perf_event_open', [], eperm],
    ['userfaultfd', 'userfaultfd', [], eperm],
    ['keyctl', 'keyctl', [], eperm],
    ['open_by_handle_at', 'open_by_handle_at', [], eperm],
    ['init_module', 'init_module', [], eperm],
    ['kexec_load', 'kexec_load', [], eperm],
    ['pivot_root', 'pivot_root', [], eperm],
    ['chroot', 'chroot', [], eperm],
    ['read', 'read', [0, 0, 1], allow],
    ['execve', 'execve', [], allow],
    ['setuid (sudo needs it)', 'setuid', [0], allow],
    ['ptrace (debuggers; no CAP_SYS_PTRACE, own processes only)', 'ptrace', [16, 1], allow],
  ] as [string, string, number[], object][])('%s', (_t, call, args, want) => {
    expect(evaluateSeccomp(p, call, args)).toEqual(want);
  });

  it('lists every call once and never allows a call it also refuses', () => {
    expect(new Set(ALLOWED_SYSCALLS).size).toBe(ALLOWED_SYSCALLS.length);
    for (const n of ENOSYS_SYSCALLS) expect(ALLOWED_SYSCALLS).not.toContain(n);
    for (const n of ['chmod', 'fchmod', 'fchmodat', 'open', 'openat', 'creat', 'mknod', 'mknodat', 'clone', 'socket', 'personality', 'mount', 'unshare', 'setns', 'io_uring_enter']) {
      expect(ALLOWED_SYSCALLS).not.toContain(n);
    }
  });

  it('uses only conditions the engine and gVisor understand, one condition per argument per rule', () => {
    for (const r of p.syscalls) {
      const idx = (r.args ?? []).map((a) => a.index);
      expect(new Set(idx).size).toBe(idx.length);
      for (const a of r.args ?? []) expect(['SCMP_CMP_MASKED_EQ', 'SCMP_CMP_EQ', 'SCMP_CMP_NE']).toContain(a.op);
    }
  });

  it('is passed inline as one SecurityOpt entry', () => {
    const opt = seccompSecurityOpt(p);
    expect(opt.startsWith('seccomp={')).toBe(true);
    expect(JSON.parse(opt.slice(8))).toEqual(p);
  });
});
