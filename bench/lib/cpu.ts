/**
 * Who used the CPU during a measurement: the system under test, the broker, and everything
 * else on the machine (other processes disturb a benchmark on a small machine). Linux /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU time the whole machine spent busy so far (all cores, all processes), seconds. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    // cpu  user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      TICKS_PER_SECOND
    );
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process used so far, seconds; undefined when it is gone. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command name (which may hold spaces) start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) of a process and its live descendants, seconds: a system that runs
 * several processes (`strom --processes N`) is measured whole. Undefined when the process is gone.
 */
export function processTreeCpuSeconds(pid: number | undefined): number | undefined {
  const own = processCpuSeconds(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const child of descendants(pid!)) total += processCpuSeconds(child) ?? 0;
  return total;
}

/** The live descendants of `pid` (from the parent ids in /proc/<pid>/stat). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.pop()!;
    for (const [child, ppid] of parentOf) {
      if (ppid !== parent) continue;
      queue.push(child);
      found.push(child);
    }
  }
  return found;
}

export interface CpuSnapshot {
  at: number;
  machine: number | undefined;
  broker: number | undefined;
  system: number | undefined;
  /** CPU seconds of each process of the system, by pid, when it runs more than one. */
  systemProcesses?: Map<number, number>;
}

export function cpuSnapshot(systemPid: number | undefined, brokerPid: number | undefined): CpuSnapshot {
  return {
    at: Date.now(),
    machine: machineBusySeconds(),
    broker: processCpuSeconds(brokerPid),
    system: processTreeCpuSeconds(systemPid),
    ...(systemPid === undefined ? {} : processesOf(systemPid)),
  };
}

function processesOf(pid: number): Pick<CpuSnapshot, 'systemProcesses'> {
  const children = descendants(pid);
  if (children.length === 0) return {};
  const seconds = new Map<number, number>();
  for (const p of [pid, ...children]) {
    const s = processCpuSeconds(p);
    if (s !== undefined) seconds.set(p, s);
  }
  return { systemProcesses: seconds };
}

/**
 * Cores each process of a multi-process system used between two snapshots, in pid order (the
 * parent first, then the children as forked), e.g. "0 / 0.74 / 0.46"; undefined for one process.
 */
export function processCoresBetween(start: CpuSnapshot, end: CpuSnapshot): string | undefined {
  const seconds = (end.at - start.at) / 1000;
  if (!start.systemProcesses || !end.systemProcesses || !(seconds > 0)) return undefined;
  const cores = [...end.systemProcesses]
    .sort(([a], [b]) => a - b)
    .map(([pid, s]) => ((s - (start.systemProcesses!.get(pid) ?? 0)) / seconds).toFixed(2));
  return cores.join(' / ');
}

export interface CoreUse {
  /** The system under test, in cores (1 = one core busy all the time). */
  system: number;
  /** CPU seconds the system used (all its processes). */
  systemSeconds: number;
  broker: number;
  /** Everything else: the harness (light) and whatever else runs on the machine. */
  other: number;
}

export function coresBetween(start: CpuSnapshot, end: CpuSnapshot): CoreUse | undefined {
  const seconds = (end.at - start.at) / 1000;
  const delta = (k: 'machine' | 'broker' | 'system') => {
    const a = start[k];
    const b = end[k];
    return a === undefined || b === undefined ? undefined : (b - a) / seconds;
  };
  const machine = delta('machine');
  if (!(seconds > 0) || machine === undefined) return undefined;
  const system = delta('system') ?? 0;
  const broker = delta('broker') ?? 0;
  const round = (x: number) => Number(x.toFixed(2));
  return {
    system: round(system),
    systemSeconds: system * seconds,
    broker: round(broker),
    other: round(Math.max(0, machine - system - broker)),
  };
}

/**
 * Waits (up to `maxWaitMs`) for a window of `windowMs` in which processes other than the broker
 * used less than `maxOtherCores`, so a run does not start while something else keeps the CPU
 * busy. Returns how long it waited and the last window's load.
 */
export async function waitForQuiet(
  brokerPid: number | undefined,
  options: { maxOtherCores?: number; windowMs?: number; maxWaitMs?: number; log?: (m: string) => void } = {},
): Promise<{ waitedMs: number; otherCores: number | undefined }> {
  const { maxOtherCores = 0.5, windowMs = 2000, maxWaitMs = 180_000 } = options;
  const started = Date.now();
  let told = false;
  for (;;) {
    const a = cpuSnapshot(undefined, brokerPid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const use = coresBetween(a, cpuSnapshot(undefined, brokerPid));
    const waitedMs = Date.now() - started - windowMs;
    if (use === undefined || use.other < maxOtherCores) return { waitedMs, otherCores: use?.other };
    if (Date.now() - started > maxWaitMs) {
      options.log?.(`the machine stayed busy (${use.other} cores besides the broker): running anyway`);
      return { waitedMs, otherCores: use.other };
    }
    if (!told) {
      options.log?.(`waiting for the machine to quiet down (${use.other} cores busy besides the broker)`);
      told = true;
    }
  }
}
