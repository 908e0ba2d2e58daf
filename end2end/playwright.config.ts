import { defineConfig } from "@playwright/test";
import { FAKE_STRIPE_PORT, STRIPE_KEYS, STRIPE_SHOP_PORT } from "./support/stripe-keys";

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
  webServer: [
    {
      // The shipped settings, with the per-IP limits raised: every journey comes from one address.
      command:
        "rm -rf target/e2e && mkdir -p target/e2e && " +
        "sed -e 's/^auth_requests = .*/auth_requests = 100000/' -e 's/^write_requests = .*/write_requests = 100000/' -e 's/^render_requests = .*/render_requests = 100000/' Leptos.toml > target/e2e/settings.toml && " +
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
    {
      // A fake Stripe API, for the shop below.
      command: "node support/fake-stripe.mjs",
      url: `http://127.0.0.1:${FAKE_STRIPE_PORT}/__intents`,
      reuseExistingServer: false,
      env: { FAKE_STRIPE_PORT: String(FAKE_STRIPE_PORT), STRIPE_SECRET_KEY: STRIPE_KEYS.STRIPE_SECRET_KEY },
    },
    {
      // The same shop with Stripe keys, its client pointed at the fake Stripe API: the journey that
      // drives the real Payment Element code path runs here, with Stripe.js stubbed in the browser.
      command:
        "rm -rf target/e2e-stripe && mkdir -p target/e2e-stripe && " +
        "sed -e 's/^auth_requests = .*/auth_requests = 100000/' -e 's/^write_requests = .*/write_requests = 100000/' -e 's/^render_requests = .*/render_requests = 100000/' Leptos.toml > target/e2e-stripe/settings.toml && " +
        "exec target/debug/emporium",
      cwd: "..",
      url: `http://127.0.0.1:${STRIPE_SHOP_PORT}/readyz`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: {
        ...STRIPE_KEYS,
        STRIPE_API_BASE: `http://127.0.0.1:${FAKE_STRIPE_PORT}`,
        DATABASE_URL: "sqlite://target/e2e-stripe/shop.db",
        SETTINGS_FILE: "target/e2e-stripe/settings.toml",
        MEDIA_DIR: "target/e2e-stripe/media",
        LEPTOS_SITE_ADDR: `127.0.0.1:${STRIPE_SHOP_PORT}`,
        DEMO_DATA: "true",
        RUST_LOG: "warn",
      },
    },
  ],
});
