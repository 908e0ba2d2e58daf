import { execFileSync } from "node:child_process";
import zlib from "node:zlib";
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

/// A PNG of `width` × `height` pixels in one colour, as a file chooser would hand it over.
export function png(name: string, width: number, height: number, [r, g, b]: [number, number, number]) {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const buffer = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixels),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  return { name, mimeType: "image/png", buffer };
}
