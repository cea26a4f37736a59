/**
 * Where the machine's CPU went during one round of load, in cores (1.00 = one core busy for the
 * whole round), read from Linux's /proc: the server's event loop (its main thread), its busiest
 * other thread (the SQLite writer thread, when there is one), PostgreSQL's processes, everything
 * else that ran (wrk, the kernel's network work, other services) and what stayed idle. A ratio
 * says how fast; this says which thread is the ceiling: a thread near 1.00 while cores stay
 * idle is a serial limit that more cores would not lift.
 *
 * @example
 * const before = cpuSnapshot(server.pid);
 * await runLoad();
 * const shares = cpuShares(before, cpuSnapshot(server.pid)); // { main: 0.53, busiestThread: 0.84, … }
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSnapshot {
  at: number;
  /** Each of the server's threads: CPU ticks (user + system) by thread id. */
  threads: Map<number, number>;
  serverPid: number;
  /** Ticks of every process named `postgres` (backends, WAL writer, checkpointer…). */
  postgres: number;
  /** The whole machine: busy and idle (idle + iowait) ticks over all cores. */
  busy: number;
  idle: number;
}

export interface CpuShares {
  /** The server's main thread: its event loop. */
  main: number;
  /** The server's busiest other thread (the SQLite writer thread when it runs). */
  busiestThread: number;
  /** The server's remaining threads (GC helpers, libuv's pool). */
  otherThreads: number;
  postgres: number;
  /** Busy time not accounted above: wrk, the kernel's work for the sockets, other services. */
  rest: number;
  idle: number;
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second (USER_HZ), the unit of /proc's CPU times. */
function hz(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** utime + stime of a /proc/…/stat line; the command name in parentheses may itself hold spaces. */
function ticksOf(stat: string): { comm: string; ticks: number } {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // After the name: state is field 3 of the line, utime 14 and stime 15.
  return { comm: stat.slice(open + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // a thread or process that ended meanwhile
  }
}

export function cpuSnapshot(serverPid: number): CpuSnapshot {
  const threads = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${serverPid}/task`)) {
    const stat = read(`/proc/${serverPid}/task/${tid}/stat`);
    if (stat) threads.set(Number(tid), ticksOf(stat).ticks);
  }
  let postgres = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (!stat) continue;
    const { comm, ticks } = ticksOf(stat);
    if (comm === 'postgres') postgres += ticks;
  }
  const [, ...machine] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = machine.map(Number) as number[];
  return {
    at: performance.now(),
    threads,
    serverPid,
    postgres,
    busy: (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0),
    idle: (idle ?? 0) + (iowait ?? 0),
  };
}

export function cpuShares(before: CpuSnapshot, after: CpuSnapshot): CpuShares {
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => Number((ticks / hz() / seconds).toFixed(2));
  const used = [...after.threads].map(([tid, ticks]) => ({
    tid,
    ticks: ticks - (before.threads.get(tid) ?? 0),
  }));
  const main = used.find((t) => t.tid === after.serverPid)?.ticks ?? 0;
  const others = used.filter((t) => t.tid !== after.serverPid).sort((a, b) => b.ticks - a.ticks);
  const busiest = others[0]?.ticks ?? 0;
  const server = used.reduce((sum, t) => sum + t.ticks, 0);
  const postgres = Math.max(0, after.postgres - before.postgres);
  return {
    main: cores(main),
    busiestThread: cores(busiest),
    otherThreads: cores(server - main - busiest),
    postgres: cores(postgres),
    rest: cores(Math.max(0, after.busy - before.busy - server - postgres)),
    idle: cores(after.idle - before.idle),
  };
}
