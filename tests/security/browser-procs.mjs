// Chromium with a profile directory we choose, and its processes: the
// hostile-stream test samples the renderer's memory, the durability test
// SIGKILLs the browser and relaunches it on the same profile. (The shared
// harness's launchBrowser hides its profile path and pids.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../e2e/harness.mjs';

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function tempProfile(prefix = 'ci-sec-profile-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Launches headless Chromium on `userDataDir` (kept on close when `keep`).
 * Returns { context, userDataDir, newPage(), browserPid(), processes(), close() }.
 */
export async function launchProfile({ userDataDir = tempProfile(), keep = false, args = [] } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...args],
    timeout: 60000,
    viewport: { width: 1100, height: 860 },
  });
  const self = {
    context,
    userDataDir,
    async newPage() {
      const page = await context.newPage();
      page.setDefaultTimeout(60000);
      page.on('pageerror', (error) => console.log(`[page error] ${error.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' || process.env.E2E_CONSOLE) console.log(`[console.${msg.type()}] ${msg.text().slice(0, 300)}`);
      });
      return page;
    },
    browserPid: () => browserPid(userDataDir),
    processes: () => descendants(browserPid(userDataDir)),
    async close() {
      await context.close().catch(() => {});
      if (!keep) fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  return self;
}

function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

function allPids() {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/** The browser process of this profile: its command line names the profile and is no child --type. */
export function browserPid(userDataDir) {
  for (const pid of allPids()) {
    const cmd = readProc(pid, 'cmdline').split('\0');
    if (cmd.some((a) => a === `--user-data-dir=${userDataDir}`) && !cmd.some((a) => a.startsWith('--type='))) return pid;
  }
  return 0;
}

/** The process tree under pid: [{ pid, type, rssBytes }] (type: browser, renderer, gpu-process, …). */
export function descendants(root) {
  if (!root) return [];
  const children = new Map();
  for (const pid of allPids()) {
    const stat = readProc(pid, 'stat');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const out = [];
  const walk = (pid) => {
    // Chromium rewrites a child's argv into one space-separated string.
    const type = /--type=(\S+)/.exec(readProc(pid, 'cmdline'))?.[1] ?? (pid === root ? 'browser' : 'other');
    const rss = /VmRSS:\s+(\d+) kB/.exec(readProc(pid, 'status'));
    out.push({ pid, type, rssBytes: rss ? Number(rss[1]) * 1024 : 0 });
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** True while pid runs (a zombie has exited: it holds no file or lock any more). */
function alive(pid) {
  const stat = readProc(pid, 'stat');
  if (!stat) return false;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/**
 * Waits until every pid has exited (a killed process can take a while to go
 * on a loaded machine; a browser relaunched on the same profile before its
 * storage process is gone would find the databases still locked).
 * Returns the pids still running at the timeout.
 */
export async function waitExited(pids, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter(alive);
  }
  return left;
}
