/**
 * Paddock's own seccomp profile for sandboxes (Docker's JSON profile format, passed inline as
 * `HostConfig.SecurityOpt: ["seccomp=<json>"]`). Pure; table-tested in seccomp.test.ts.
 *
 * Why not the engine's default profile: without user-namespace remapping the sandbox's root is
 * uid 0 for files it writes into the workspace, which is the host's own disk. A setuid-root (or
 * setgid) file left there would make any host user who runs it root on the host. This profile
 * keeps a default-deny allowlist comparable to the engine's default, and additionally refuses
 * every way of putting S_ISUID/S_ISGID on a file:
 *
 * - chmod / fchmod / fchmodat with either bit in the mode → EPERM;
 * - open / openat / creat / mknod / mknodat creating a file with either bit in the mode → EPERM
 *   (open/openat only when O_CREAT or O_TMPFILE is set: the mode is ignored otherwise);
 * - fchmodat2 and openat2 take their mode where a filter cannot see it (flags word / a struct):
 *   ENOSYS, so libc falls back to fchmodat / openat, which are filtered;
 * - io_uring can open files with a mode the filter never sees: ENOSYS (everything falls back to
 *   plain system calls);
 * - mkdir/mkdirat are not filtered: the kernel ignores S_ISUID/S_ISGID in mkdir's mode.
 * - Setting file capabilities (security.capability xattr) needs CAP_SETFCAP, which is dropped.
 *
 * NoNewPrivs stays off (sudo inside must work); the capability bounding set still caps what a
 * setuid binary inside the sandbox can gain.
 *
 * Native architectures only (x86_64, aarch64): 32-bit compat system calls are refused.
 */

export const EPERM = 1;
export const ENOSYS = 38;

/** Mode bits a sandbox may never set on a file. */
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const SETID_BITS = S_ISUID | S_ISGID;
/** open(2) flags that make the mode argument count (x86_64 and aarch64 share these values). */
export const O_CREAT = 0o100;
export const O_TMPFILE_BIT = 0o20000000; // __O_TMPFILE (O_TMPFILE also carries O_DIRECTORY)
/** clone(2) flags that create namespaces: refused (CAP_SYS_ADMIN is dropped anyway). */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000; // NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
export const AF_VSOCK = 40; // a container's network namespace does not fence vsock: the hypervisor's services answer on it

/**
 * System calls allowed without conditions. Grouped by purpose; anything not here (and not in the
 * conditional rules below) gets EPERM. Left out on purpose, among others: mount and the new mount
 * API, unshare/setns, pivot_root, chroot, bpf, perf_event_open, userfaultfd, keyctl/add_key/
 * request_key, kexec_*, *_module, open_by_handle_at, quotactl, swapon/off, reboot, settimeofday,
 * clock_settime, acct, syslog, iopl/ioperm, lookup_dcookie, kcmp, pidfd_getfd, fanotify_init,
 * sethostname/setdomainname, vhangup, personality beyond the harmless values, io_uring_*.
 */
export const ALLOWED_SYSCALLS: readonly string[] = [
  // processes and threads
  'execve', 'execveat', 'fork', 'vfork', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tkill', 'tgkill',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid', 'set_tid_address',
  'set_robust_list', 'get_robust_list', 'rseq', 'futex', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue',
  'prctl', 'arch_prctl', 'get_thread_area', 'set_thread_area', 'modify_ldt', 'capget', 'capset', 'seccomp',
  'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getparam', 'sched_setparam', 'sched_getscheduler',
  'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'sched_getattr',
  'sched_setattr', 'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'getrlimit', 'setrlimit', 'prlimit64',
  'getrusage', 'times', 'pidfd_open', 'pidfd_send_signal', 'membarrier', 'landlock_create_ruleset', 'landlock_add_rule',
  'landlock_restrict_self', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'get_mempolicy', 'set_mempolicy', 'mbind',
  // credentials (the bounding set caps what they can reach; sudo and the init need them)
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups', 'setuid', 'setgid', 'setreuid',
  'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid',
  // signals and time
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigqueueinfo',
  'rt_tgsigqueueinfo', 'sigaltstack', 'pause', 'alarm', 'nanosleep', 'clock_nanosleep', 'clock_gettime', 'clock_getres',
  'gettimeofday', 'time', 'adjtimex', 'getitimer', 'setitimer', 'timer_create', 'timer_settime', 'timer_gettime',
  'timer_getoverrun', 'timer_delete', 'timerfd_create', 'timerfd_settime', 'timerfd_gettime', 'signalfd', 'signalfd4',
  'eventfd', 'eventfd2', 'restart_syscall',
  // memory
  'brk', 'mmap', 'munmap', 'mprotect', 'mremap', 'msync', 'mincore', 'madvise', 'remap_file_pages', 'mlock', 'mlock2',
  'munlock', 'mlockall', 'munlockall', 'memfd_create', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'mseal', 'map_shadow_stack',
  // files (chmod/open/creat/mknod families are conditional, below)
  'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2', 'lseek', 'close',
  'close_range', 'dup', 'dup2', 'dup3', 'pipe', 'pipe2', 'fcntl', 'flock', 'ioctl', 'fsync', 'fdatasync', 'sync', 'syncfs',
  'sync_file_range', 'truncate', 'ftruncate', 'fallocate', 'fadvise64', 'readahead', 'sendfile', 'splice', 'tee', 'vmsplice',
  'copy_file_range', 'cachestat', 'stat', 'lstat', 'fstat', 'newfstatat', 'statx', 'statfs', 'fstatfs', 'access', 'faccessat',
  'faccessat2', 'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir', 'mkdir', 'mkdirat', 'rmdir', 'unlink', 'unlinkat',
  'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'readlink', 'readlinkat', 'chown', 'fchown',
  'lchown', 'fchownat', 'umask', 'utime', 'utimes', 'futimesat', 'utimensat', 'setxattr', 'lsetxattr', 'fsetxattr',
  'getxattr', 'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr',
  'fremovexattr', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents',
  // polling
  'select', 'pselect6', 'poll', 'ppoll', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait',
  'epoll_pwait2', 'epoll_ctl_old', 'epoll_wait_old',
  // sockets (socket itself is conditional: no AF_VSOCK)
  'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname', 'getpeername', 'sendto', 'recvfrom',
  'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'setsockopt', 'getsockopt', 'shutdown',
  // System V and POSIX IPC (the sandbox has its own IPC namespace)
  'shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl', 'msgget', 'msgsnd', 'msgrcv', 'msgctl',
  'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr',
  // system information
  'uname', 'sysinfo', 'getrandom', 'getcpu',
];

/** Refused with ENOSYS so that callers fall back to a filtered system call. */
export const ENOSYS_SYSCALLS: readonly string[] = ['clone3', 'openat2', 'fchmodat2', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'];

/** System call → index of its mode argument, for the calls that can set a mode on a file. */
export const CHMOD_MODE_ARG: Readonly<Record<string, number>> = { chmod: 1, fchmod: 1, fchmodat: 2 };
export const CREATE_MODE_ARG: Readonly<Record<string, number>> = { creat: 1, mknod: 1, mknodat: 2 };
/** open-like calls: [flags index, mode index]. */
export const OPEN_ARGS: Readonly<Record<string, readonly [number, number]>> = { open: [1, 2], openat: [2, 3] };

/** personality(2) values Docker's default also allows: query, PER_LINUX, PER_LINUX32, UNAME26 variants. */
export const PERSONALITY_VALUES: readonly number[] = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

export type SeccompOp = 'SCMP_CMP_NE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ';
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo: number;
  op: SeccompOp;
}
export interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
  comment?: string;
}
export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  archMap: { architecture: string; subArchitectures: string[] }[];
  syscalls: SeccompRule[];
}

/** `(arg[index] & mask) == 0` */
const clear = (index: number, mask: number): SeccompArg => ({ index, value: mask, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' });

export function buildSeccompProfile(): SeccompProfile {
  const syscalls: SeccompRule[] = [
    { names: [...ALLOWED_SYSCALLS], action: 'SCMP_ACT_ALLOW' },
    { names: [...ENOSYS_SYSCALLS], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, comment: 'callers fall back to a filtered call' },
  ];
  // Several ALLOW rules for one call are OR-ed; a call no rule allows gets the default (EPERM).
  for (const [name, i] of Object.entries(CHMOD_MODE_ARG)) {
    syscalls.push({ names: [name], action: 'SCMP_ACT_ALLOW', args: [clear(i, SETID_BITS)], comment: 'no setuid/setgid bits' });
  }
  for (const [name, i] of Object.entries(CREATE_MODE_ARG)) {
    syscalls.push({ names: [name], action: 'SCMP_ACT_ALLOW', args: [clear(i, SETID_BITS)], comment: 'no setuid/setgid bits' });
  }
  for (const [name, [flags, mode]] of Object.entries(OPEN_ARGS)) {
    syscalls.push({ names: [name], action: 'SCMP_ACT_ALLOW', args: [clear(flags, O_CREAT | O_TMPFILE_BIT)], comment: 'opens nothing new: the mode is ignored' });
    syscalls.push({ names: [name], action: 'SCMP_ACT_ALLOW', args: [clear(mode, SETID_BITS)], comment: 'creates without setuid/setgid bits' });
  }
  syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [clear(0, CLONE_NAMESPACE_FLAGS)], comment: 'no new namespaces' });
  syscalls.push({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, valueTwo: 0, op: 'SCMP_CMP_NE' }], comment: 'no vsock' });
  for (const v of PERSONALITY_VALUES) {
    syscalls.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, valueTwo: 0, op: 'SCMP_CMP_EQ' }] });
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] },
    ],
    syscalls,
  };
}

/** The HostConfig.SecurityOpt entry carrying the profile inline. */
export function seccompSecurityOpt(profile: SeccompProfile = buildSeccompProfile()): string {
  return `seccomp=${JSON.stringify(profile)}`;
}

/**
 * What the profile answers for one call (for tests and docs): a small evaluator of the rules
 * above, with libseccomp's semantics (rules for one call are OR-ed, arguments within a rule AND-ed).
 */
export function evaluateSeccomp(profile: SeccompProfile, name: string, args: readonly number[] = []): { action: 'allow' | 'errno'; errno?: number } {
  const argOk = (a: SeccompArg): boolean => {
    const v = args[a.index] ?? 0;
    if (a.op === 'SCMP_CMP_EQ') return v === a.value;
    if (a.op === 'SCMP_CMP_NE') return v !== a.value;
    return (Number(BigInt(v) & BigInt(a.value))) === a.valueTwo;
  };
  for (const r of profile.syscalls) {
    if (!r.names.includes(name)) continue;
    if ((r.args ?? []).every(argOk)) return r.action === 'SCMP_ACT_ALLOW' ? { action: 'allow' } : { action: 'errno', errno: r.errnoRet ?? profile.defaultErrnoRet };
  }
  return { action: 'errno', errno: profile.defaultErrnoRet };
}
