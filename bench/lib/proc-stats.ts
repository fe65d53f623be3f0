/**
 * Process and host figures from /proc (Linux): resident memory (VmRSS), CPU time (utime + stime
 * from /proc/<pid>/stat) and host-wide busy time (/proc/stat), so a run can tell how much of the
 * two cores went to the servers under test, the mock, the load generator, and everything else.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

let clockTicks: number | undefined;

/** Clock ticks per second (USER_HZ) for /proc/<pid>/stat; 100 on nearly every Linux. */
export function clockTicksPerSecond(): number {
  if (clockTicks !== undefined) return clockTicks;
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/** Resident set size in bytes, or undefined when the process is gone. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The fields of /proc/<pid>/stat from field 3 (state) on, or undefined when the process is gone.
 * The command name (field 2) is in parentheses and may hold spaces: fields are counted after the
 * last ')'. So field N is at index N - 3.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process in milliseconds (fields 14 and 15), or undefined when it is gone. */
export function readCpuMs(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? ((Number(f[11]) + Number(f[12])) * 1000) / clockTicksPerSecond() : undefined;
}

/** Minor page faults of a process so far (field 10), or undefined when it is gone. */
export function readMinorFaults(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[7]) : undefined;
}

/**
 * CPU time (ms) of a process's threads, summed by thread name (`comm`; the main thread is "(main)")
 * and split into user and system time: keys like "(main) user", "node sys".
 */
export function readThreadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? '(main)' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const add = (key: string, ticks: number) => byName.set(key, (byName.get(key) ?? 0) + (ticks * 1000) / clockTicksPerSecond());
      add(`${name} user`, Number(rest[11]));
      add(`${name} sys`, Number(rest[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

export interface HostCpu {
  /** Busy jiffies over all CPUs (everything but idle and iowait). */
  busy: number;
  total: number;
}

export function readHostCpu(): HostCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Host busy share between two readings, in "cores" (0..nproc). */
export function hostBusyCores(a: HostCpu, b: HostCpu): number {
  const dt = b.total - a.total;
  return dt > 0 ? ((b.busy - a.busy) / dt) * cpus().length : 0;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  kernel: string;
  totalMemMb: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  let kernel = '';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    /* not Linux */
  }
  let totalMemMb = 0;
  try {
    const m = /^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    totalMemMb = m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    /* not Linux */
  }
  return {
    nproc: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel,
    totalMemMb,
  };
}
