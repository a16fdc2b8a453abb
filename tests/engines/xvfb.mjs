// One Xvfb on a free display number, for WebKitGTK (MiniBrowser needs an X
// display even when nobody looks at it).
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

const taken = (n) => fs.existsSync(`/tmp/.X${n}-lock`) || fs.existsSync(`/tmp/.X11-unix/X${n}`);

/**
 * Starts Xvfb on the first display :N (N ≥ first) with neither a lock file
 * nor a socket, and resolves once its socket /tmp/.X11-unix/XN exists (the
 * server listens from then on; no fixed sleep). Another Xvfb may win the
 * same number between our check and its start: Xvfb then exits ("server
 * already active") and we try the next number.
 * `env`: the server's environment. Returns { display: ':N', pid, close() }.
 */
export async function startXvfb({ first = 90, screen = '1280x1024x24', timeout = 15000, env = process.env } = {}) {
  for (let n = first, attempts = 0; attempts < 20 && n < first + 1000; n++) {
    if (taken(n)) continue;
    attempts++;
    const child = spawn('Xvfb', [`:${n}`, '-screen', '0', screen, '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-2000); }); // drain, keep the tail for errors
    let exited = false;
    const exit = new Promise((resolve) => {
      child.once('exit', () => { exited = true; resolve(); });
      child.once('error', (error) => { stderr += String(error); exited = true; resolve(); }); // ENOENT: no Xvfb
    });
    const deadline = Date.now() + timeout;
    while (!exited && !fs.existsSync(`/tmp/.X11-unix/X${n}`) && Date.now() < deadline) await delay(25);
    if (exited) {
      if (/already active|Cannot establish any listening sockets/i.test(stderr)) continue; // lost a race
      throw new Error(`Xvfb :${n} exited at start: ${stderr.trim() || 'no output'}`);
    }
    if (!fs.existsSync(`/tmp/.X11-unix/X${n}`)) {
      child.kill('SIGKILL');
      throw new Error(`Xvfb :${n} made no socket within ${timeout} ms: ${stderr.trim()}`);
    }
    return {
      display: `:${n}`,
      pid: child.pid,
      /** SIGTERM (Xvfb then removes its lock and socket), SIGKILL if it lingers. */
      async close() {
        if (exited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      },
    };
  }
  throw new Error('Xvfb: no free display number found');
}
