import { execFileSync } from "node:child_process";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

/// Waits for the islands to hydrate when JavaScript runs; a page without it is ready as served.
export async function ready(page: Page, javaScriptEnabled: boolean) {
  if (javaScriptEnabled) await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
}

/// axe-core runs in the page, so only where JavaScript does.
export async function noAxeViolations(page: Page, javaScriptEnabled: boolean) {
  if (!javaScriptEnabled) return;
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

/// An admin made with the shop's own command, as an operator would on a new shop; its password.
export function createAdmin(email: string): string {
  const output = execFileSync("target/debug/emporium", ["create-admin", email], {
    cwd: "..",
    env: { ...process.env, DATABASE_URL: "sqlite://target/e2e/shop.db", SETTINGS_FILE: "target/e2e/settings.toml", RUST_LOG: "error" },
  }).toString();
  return output.match(/password \(shown once\): (\S+)/)![1];
}

/// Signs in through the sign-in form and lands on the account page.
export async function signIn(page: Page, javaScriptEnabled: boolean, email: string, password: string) {
  await page.goto("/account/login");
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
}
