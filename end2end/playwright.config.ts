import { defineConfig } from '@playwright/test';
import { resolve } from 'node:path';

// The server binary under test and the site it serves, for the servers below
// and for those that specs start of their own through the test kit
// (ccp-testkit reads the same variables). The default is the release build;
// scripts/test.sh points CCP_SERVER_BINARY at the debug build that
// `cargo test` has just made, so that CI compiles the server once.
process.env.CCP_SERVER_BINARY ??= resolve(__dirname, '../target/release/server');
process.env.CCP_SITE_ROOT ??= resolve(__dirname, '../target/site');
const SERVER = `${process.env.CCP_SERVER_BINARY} --site-root ${process.env.CCP_SITE_ROOT} --database sqlite::memory:`;

/** The panel server under test. */
export const PANEL = 'http://127.0.0.1:3100';
/** A second panel server whose agents have different telephony modes. */
export const MODES = 'http://127.0.0.1:3104';
/** A host page on another origin, allowlisted for embedding. */
export const HOST = 'http://localhost:3101';
/** A host page on an origin that is not allowlisted. */
export const STRANGER = 'http://localhost:3102';

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: PANEL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: [
    {
      command: `${SERVER} --addr 127.0.0.1:3100 --allowed-origin ${HOST}`,
      url: `${PANEL}/healthz`,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      timeout: 60_000,
    },
    {
      command: `${SERVER} --addr 127.0.0.1:3104 --config support/modes.toml`,
      url: `${MODES}/healthz`,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      timeout: 60_000,
    },
    {
      command: 'node support/host-server.mjs 3101 3102',
      url: `${HOST}/healthz`,
      reuseExistingServer: false,
      timeout: 10_000,
    },
  ],
});
