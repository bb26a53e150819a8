import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** moto's account: every ARN and the bootstrap environment name it. */
export const MOTO_ACCOUNT = '123456789012';

export interface MotoServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server (this process's own child) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A TCP port nothing listens on right now, chosen by the operating system. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('No port'))));
    });
  });

/**
 * Starts `moto_server` on a free port of 127.0.0.1, its request log going to `logFile`, and waits
 * until it answers.
 */
export async function startMoto(executable: string, logFile: string, timeoutMs = 30_000): Promise<MotoServer> {
  if (!existsSync(executable)) {
    throw new Error(
      `moto_server is not at ${executable}. .ci/run installs it; by hand: ` +
        '`python3 -m venv .venv-ci && .venv-ci/bin/pip install -r requirements-ci.txt` (or set MOTO_SERVER).',
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    log.end();
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}; see ${logFile}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return { endpoint, port, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs / 1000} s; see ${logFile}`);
    }
    await sleep(200);
  }
}
