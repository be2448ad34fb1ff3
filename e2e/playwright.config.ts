import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SHORT_TTL_SECONDS } from './support/servers';

// Playwright evaluates this file in the main process and again in every
// worker. The main process builds the binary, picks the ports and makes the
// data folders once, and hands them to the workers through process.env
// (workers inherit it), so every process agrees on where the servers are.
const env = process.env;
const repo = path.resolve(__dirname, '..');

if (!env.AUTHLAB_E2E_ROOT) {
  const root = mkdtempSync(path.join(tmpdir(), 'authlab-e2e-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));

  // AUTHLAB_E2E_BINARY runs the suite against a binary built elsewhere.
  const bin = env.AUTHLAB_E2E_BINARY ? path.resolve(env.AUTHLAB_E2E_BINARY) : path.join(root, 'authlab');
  if (!env.AUTHLAB_E2E_BINARY) {
    try {
      execFileSync('go', ['build', '-o', bin, '.'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
    } catch {
      throw new Error(`e2e: "go build" of ${repo} failed (see above); the suite runs the real binary.`);
    }
  }
  const [main, short, pgA, pgB] = freePorts(4);
  Object.assign(env, {
    AUTHLAB_E2E_ROOT: root,
    AUTHLAB_E2E_BIN: bin,
    AUTHLAB_E2E_MAIN_PORT: String(main),
    AUTHLAB_E2E_SHORT_PORT: String(short),
    AUTHLAB_E2E_PG_A_PORT: String(pgA),
    AUTHLAB_E2E_PG_B_PORT: String(pgB),
    // A known key, so a spec can check the JWT's signature itself.
    AUTHLAB_E2E_JWT_SECRET: randomBytes(32).toString('hex'),
  });
  for (const name of ['main', 'short']) mkdirSync(path.join(root, name));
}

const chromium = env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!existsSync(chromium)) {
  throw new Error(
    `e2e: no Chromium at ${chromium}. Install Debian's package (apt-get install chromium) ` +
      'or set CHROMIUM_PATH; Playwright never downloads a browser for this suite.',
  );
}

const mainURL = `http://127.0.0.1:${env.AUTHLAB_E2E_MAIN_PORT}`;
const shortURL = `http://127.0.0.1:${env.AUTHLAB_E2E_SHORT_PORT}`;
const pgAURL = `http://127.0.0.1:${env.AUTHLAB_E2E_PG_A_PORT}`;
const pgBURL = `http://127.0.0.1:${env.AUTHLAB_E2E_PG_B_PORT}`;
env.AUTHLAB_E2E_MAIN_URL = mainURL;
env.AUTHLAB_E2E_SHORT_URL = shortURL;
env.AUTHLAB_E2E_PG_A_URL = pgAURL;
env.AUTHLAB_E2E_PG_B_URL = pgBURL;

// Two instances on one PostgreSQL, for the multi-instance spec. make test
// starts a throwaway cluster and names it in AUTHLAB_TEST_POSTGRES.
const postgres = env.AUTHLAB_TEST_POSTGRES;
if (!postgres) {
  throw new Error(
    'e2e: AUTHLAB_TEST_POSTGRES is not set: run the suite with make test, which starts a throwaway PostgreSQL ' +
      "(it needs Debian's postgresql).",
  );
}

/** server describes one authlab process with explicit settings, so nothing in the caller's environment changes them. */
function server(name: 'main' | 'short' | 'pg-a' | 'pg-b', url: string, extra: string[], dbEnv: Record<string, string> = {}) {
  const port = url.split(':').pop();
  const args = [
    `-addr 127.0.0.1:${port}`,
    `-base-url ${url}`,
    `-data ${JSON.stringify(path.join(env.AUTHLAB_E2E_ROOT!, name))}`,
    '-demo-user true',
    '-log-format text',
    // The suite's requests name their own client address (see
    // clientAddress in support/fixtures.ts), as a proxy would.
    '-trusted-proxy 127.0.0.1/32',
    ...extra,
  ];
  return {
    name: `authlab ${name}`,
    command: `exec ${JSON.stringify(env.AUTHLAB_E2E_BIN)} ${args.join(' ')}`,
    url: `${url}/healthz`,
    env: { AUTHLAB_JWT_SECRET: env.AUTHLAB_E2E_JWT_SECRET!, ...dbEnv },
    reuseExistingServer: false,
    timeout: 30_000,
    // Request logs are noise unless you are chasing a failure.
    stdout: env.AUTHLAB_E2E_SERVER_LOG ? ('pipe' as const) : ('ignore' as const),
    stderr: 'pipe' as const,
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 3_000 },
  };
}

export default defineConfig({
  testDir: './specs',
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  // Far above the suite's two to three minutes: a busy machine makes a run
  // slower, never red.
  globalTimeout: 20 * 60_000,
  expect: { timeout: 5_000 },
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: mainURL,
    browserName: 'chromium',
    // DOM snapshots, network and sources of each failed test; no screencast,
    // which costs more CPU than two cores can spare.
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true, sources: true },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: [
    server('main', mainURL, ['-session-store sqlite']),
    server('short', shortURL, [
      `-jwt-ttl ${SHORT_TTL_SECONDS}s`,
      `-session-idle ${SHORT_TTL_SECONDS}s`,
      '-session-lifetime 1h',
      '-session-store sqlite',
    ]),
    server('pg-a', pgAURL, ['-instance pg-a'], { AUTHLAB_DATABASE_URL: postgres }),
    server('pg-b', pgBURL, ['-instance pg-b'], { AUTHLAB_DATABASE_URL: postgres }),
  ],
});

/**
 * freePorts asks the kernel for n free ports: a child node process listens
 * on port 0 n times and prints what it got. The config must be synchronous,
 * hence the child. The ports are closed again before the servers take them,
 * a window too small to matter on a test machine.
 */
function freePorts(n: number): number[] {
  const script = `
    const net = require('node:net');
    const servers = Array.from({ length: ${n} }, () => net.createServer());
    Promise.all(servers.map(s => new Promise(ok => s.listen(0, '127.0.0.1', ok)))).then(() => {
      process.stdout.write(JSON.stringify(servers.map(s => s.address().port)));
      servers.forEach(s => s.close());
    });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}
