import { defineConfig } from "@playwright/test";

// The debug build made by `cargo leptos build`, on its own port (E2E_PORT, default 3107) with a fresh SQLite database and demo data.
const port = Number(process.env.E2E_PORT ?? 3107);

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [["list"]],
  // Hydration loads the debug build's large WASM; on a busy 2-core machine that can take seconds, and a
  // journey loads several pages.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download is not used.
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
  },
  webServer: {
    // The shipped settings, with the per-IP limits raised: every journey comes from one address.
    command:
      "rm -rf target/e2e && mkdir -p target/e2e && " +
      "sed -e 's/^auth_requests = .*/auth_requests = 100000/' -e 's/^write_requests = .*/write_requests = 100000/' Leptos.toml > target/e2e/settings.toml && " +
      "exec target/debug/emporium",
    cwd: "..",
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: {
      DATABASE_URL: "sqlite://target/e2e/shop.db",
      SETTINGS_FILE: "target/e2e/settings.toml",
      MEDIA_DIR: "target/e2e/media",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DEMO_DATA: "true",
      RUST_LOG: "warn",
    },
  },
});
