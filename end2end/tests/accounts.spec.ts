import { type Browser, expect, type Page, test } from "@playwright/test";
import { createAdmin, noAxeViolations, ready, signIn } from "../support/journeys";

/// Opens the newest mail to `to` in the development mailbox and follows its button link.
async function followMailLink(page: Page, to: string, subject: RegExp, button: string) {
  await page.goto("/dev/mailbox");
  await page.getByRole("listitem").filter({ hasText: `to ${to}` }).filter({ hasText: subject }).first().getByRole("link").click();
  await page.getByRole("link", { name: button }).click();
}

async function otherDevice(browser: Browser, javaScriptEnabled: boolean) {
  const context = await browser.newContext({ javaScriptEnabled });
  return { context, page: await context.newPage() };
}

for (const javaScriptEnabled of [false, true]) {
  test.describe(`JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });
    // Each journey loads a dozen pages, each hydrating the debug bundle.
    test.describe.configure({ timeout: 120_000 });
    const tag = javaScriptEnabled ? "js" : "nojs";

    test("sign up, confirm by mail, sign out and in, reset a forgotten password and end the other session", async ({ page, browser }) => {
      const email = `shopper-${tag}-${Date.now()}@example.com`;
      await page.goto("/account/signup");
      await ready(page, javaScriptEnabled);
      await page.getByLabel("Name").fill("Grace");
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill("password123");
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page.getByRole("alert")).toContainText("too easy to guess");
      await ready(page, javaScriptEnabled);
      // Without JavaScript the form comes back empty: passwords are never echoed, and the rest follows.
      await page.getByLabel("Name").fill("Grace");
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill("a long and lovely passphrase");
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page).toHaveURL(/\/account\/login\?notice=verify/);
      await expect(page.getByRole("status")).toContainText("We have sent a link");

      await followMailLink(page, email, /confirm your email/, "Confirm your email");
      await expect(page).toHaveURL(/\/account\/verify\/[0-9a-f]{64}$/);
      await ready(page, javaScriptEnabled);
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await expect(page).toHaveURL(/\/account\?notice=verified/);
      await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();

      await page.getByRole("main").getByRole("button", { name: "Sign out", exact: true }).first().click();
      await expect(page).toHaveURL(/\/$/);
      await signIn(page, javaScriptEnabled, email, "a long and lovely passphrase");

      const other = await otherDevice(browser, javaScriptEnabled);
      await signIn(other.page, javaScriptEnabled, email, "a long and lovely passphrase");
      await page.reload();
      await expect(page.getByTestId("session")).toHaveCount(2);

      await page.goto("/account/forgot");
      await ready(page, javaScriptEnabled);
      await page.getByLabel("Email").fill(email);
      await page.getByRole("button", { name: "Send the link" }).click();
      await expect(page).toHaveURL(/notice=reset-sent/);
      await followMailLink(page, email, /Reset your password/, "Choose a new password");
      await ready(page, javaScriptEnabled);
      await page.getByLabel("New password", { exact: true }).fill("an even better passphrase");
      await page.getByRole("button", { name: "Save the new password" }).click();
      await expect(page).toHaveURL(/notice=password-reset/);
      await expect(page.getByRole("status")).toContainText("every device was signed out");

      await other.page.goto("/account");
      await expect(other.page).toHaveURL(/\/account\/login\?next=%2Faccount/);
      await other.context.close();

      await page.goto("/account/login");
      await ready(page, javaScriptEnabled);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill("a long and lovely passphrase");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert")).toContainText("do not match");
      await signIn(page, javaScriptEnabled, email, "an even better passphrase");
    });

    test("a guest cart survives signing in, and a customer is kept out of the back office", async ({ page, browser }) => {
      const email = `cart-${tag}-${Date.now()}@example.com`;
      // The account, made and confirmed in another browser.
      const setup = await otherDevice(browser, javaScriptEnabled);
      await setup.page.goto("/account/signup");
      await ready(setup.page, javaScriptEnabled);
      await setup.page.getByLabel("Name").fill("Guest");
      await setup.page.getByLabel("Email").fill(email);
      await setup.page.getByLabel("Password").fill("my cart comes along");
      await setup.page.getByRole("button", { name: "Create account" }).click();
      await expect(setup.page).toHaveURL(/notice=verify/);
      await followMailLink(setup.page, email, /confirm your email/, "Confirm your email");
      await ready(setup.page, javaScriptEnabled);
      await setup.page.getByRole("button", { name: "Confirm my email address" }).click();
      await expect(setup.page).toHaveURL(/notice=verified/);
      await setup.context.close();

      await page.goto("/c/knitwear");
      await ready(page, javaScriptEnabled);
      await page.getByTestId("product-card").first().getByRole("link").click();
      await ready(page, javaScriptEnabled);
      const inStock = page.getByRole("group", { name: "Size" }).getByRole("radio").and(page.locator(":not([disabled])"));
      await inStock.first().check();
      await page.getByRole("button", { name: "Add to cart" }).click();
      await expect(page.getByTestId("cart-count")).toHaveText("1");

      await page.goto("/manage");
      await expect(page).toHaveURL(/\/account\/login\?next=%2Fmanage/);
      await signIn(page, javaScriptEnabled, email, "my cart comes along");
      await expect(page.getByTestId("cart-count")).toHaveText("1");
      await page.goto("/cart");
      await expect(page.getByTestId("cart-line")).toHaveCount(1);

      const response = await page.goto("/manage");
      expect(response!.status()).toBe(403);
      await expect(page.getByRole("alert")).toContainText("You do not have permission");
    });

    test("an admin finds a user, makes them support staff and sees it in the audit log", async ({ page }) => {
      const admin = `admin-${tag}-${Date.now()}@example.com`;
      const password = createAdmin(admin);
      await signIn(page, javaScriptEnabled, admin, password);
      await page.goto("/manage");
      await ready(page, javaScriptEnabled);
      await page.getByRole("navigation", { name: "Back office" }).getByRole("link", { name: "Users" }).click();
      await expect(page).toHaveURL(/\/manage\/users$/);
      await ready(page, javaScriptEnabled);
      await noAxeViolations(page, javaScriptEnabled);

      const staff = `support-${tag}-${Date.now()}@example.com`;
      await page.getByRole("form", { name: "Create an account" }).getByLabel("Name").fill("Sam Support");
      await page.getByRole("form", { name: "Create an account" }).getByLabel("Email").fill(staff);
      await page.getByRole("form", { name: "Create an account" }).getByLabel("Role", { exact: true }).selectOption("customer");
      await page.getByRole("form", { name: "Create an account" }).getByLabel("Your password").fill(password);
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page).toHaveURL(/\/manage\/users\/\d+$/);
      await ready(page, javaScriptEnabled);
      await expect(page.getByTestId("user-role")).toHaveText("Customer");
      await noAxeViolations(page, javaScriptEnabled);

      await page.goto(`/manage/users?q=${encodeURIComponent(staff)}`);
      await ready(page, javaScriptEnabled);
      await expect(page.getByTestId("user-row")).toHaveCount(1);
      await page.getByTestId("user-row").getByRole("link").click();
      await expect(page).toHaveURL(/\/manage\/users\/\d+$/);
      await expect(page.getByTestId("user-role")).toHaveText("Customer");
      await ready(page, javaScriptEnabled);
      await page.getByRole("form", { name: "Change role" }).getByLabel("Role").selectOption("support");
      // Handing out a role takes the admin's password again: a wrong one changes nothing.
      await page.getByRole("form", { name: "Change role" }).getByLabel("Your password").fill("not my password");
      await page.getByRole("button", { name: "Change role" }).click();
      await expect(page.getByRole("alert")).toContainText("Your current password is not right.");
      await expect(page.getByTestId("user-role")).toHaveText("Customer");
      await page.getByRole("form", { name: "Change role" }).getByLabel("Role").selectOption("support");
      await page.getByRole("form", { name: "Change role" }).getByLabel("Your password").fill(password);
      await page.getByRole("button", { name: "Change role" }).click();
      await expect(page.getByTestId("user-role")).toHaveText("Support");
      await expect(page.getByTestId("audit-entry").first()).toContainText("change_role");
      await expect(page.getByTestId("audit-entry").first()).toContainText('"role":"support"');

      await page.getByRole("button", { name: "Disable account" }).click();
      await expect(page.getByTestId("user-status")).toHaveText("Disabled");
      await expect(page.getByTestId("audit-entry")).toHaveCount(3);
    });
  });
}
