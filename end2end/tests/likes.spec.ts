import { type Browser, expect, type Page, test } from "@playwright/test";
import { ready } from "../support/journeys";

const PASSWORD = "a long and lovely passphrase";

/// A confirmed account, made through the shop's own sign-up and mailbox in a separate browser.
async function account(browser: Browser, email: string) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/account/signup");
  await page.getByLabel("Name").fill("Lin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/notice=verify/);
  await page.goto("/dev/mailbox");
  await page.getByRole("listitem").filter({ hasText: `to ${email}` }).first().getByRole("link").click();
  await page.getByRole("link", { name: "Confirm your email" }).click();
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page).toHaveURL(/notice=verified/);
  await context.close();
}

/// With JavaScript, marks the loaded document: the mark survives only while later pages are patched
/// into it instead of loading whole.
async function markPage(page: Page, javaScriptEnabled: boolean) {
  if (javaScriptEnabled) await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
}

async function expectSamePage(page: Page, javaScriptEnabled: boolean) {
  if (javaScriptEnabled) expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
}

function heart(page: Page, scope = page.getByRole("main")) {
  return scope.getByTestId("like").first();
}

for (const javaScriptEnabled of [false, true]) {
  test.describe(`JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });
    test.describe.configure({ timeout: 120_000 });

    test("like a product from a category, sign in on the way, unlike and like on its page, and find it among liked products", async ({ page, browser }) => {
      const email = `liker-${javaScriptEnabled ? "js" : "nojs"}-${Date.now()}@example.com`;
      // Each run likes in its own category, so the two runs' counts never meet.
      const category = javaScriptEnabled ? "lighting" : "notebooks";
      await account(browser, email);

      await page.goto(`/c/${category}`);
      await ready(page, javaScriptEnabled);
      await markPage(page, javaScriptEnabled);
      const card = page.getByTestId("product-card").first();
      const name = (await card.getByRole("heading").textContent())!.trim();
      const count = Number(await card.getByTestId("like-count").innerText().then((text) => text.replace(/\D/g, "")));
      await expect(card.getByRole("button", { name: `Like ${name}` })).toHaveAttribute("aria-pressed", "false");

      // Signed out, the heart asks for an account and comes back to the category.
      await card.getByRole("button", { name: `Like ${name}` }).click();
      await expect(page).toHaveURL(`/account/login?next=%2Fc%2F${category}`);
      await ready(page, javaScriptEnabled);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(`/c/${category}`);
      await ready(page, javaScriptEnabled);
      const liked = page.getByTestId("product-card").filter({ hasText: name }).first();
      await expect(liked.getByRole("button", { name: `Like ${name}` })).toHaveAttribute("aria-pressed", "true");
      await expect(liked.getByTestId("like-count")).toHaveText(`${count + 1} ${count + 1 === 1 ? "like" : "likes"}`);
      if (javaScriptEnabled) {
        // The account menu, an island, now lists what a signed-in shopper has.
        await page.getByRole("button", { name: "Account" }).click();
        await expect(page.getByRole("menu").getByRole("menuitem", { name: "Liked products" })).toBeVisible();
        await page.keyboard.press("Escape");
        await expect(page.getByRole("menu")).toBeHidden();
      }

      // On the product page the same heart and count; unlike, then like again.
      await liked.getByRole("link").first().click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
      await ready(page, javaScriptEnabled);
      const details = page.getByRole("region", { name });
      await expect(heart(page, details)).toHaveAttribute("aria-pressed", "true");
      await heart(page, details).click();
      await expect(heart(page, details)).toHaveAttribute("aria-pressed", "false");
      await expect(details.getByTestId("like-count")).toHaveText(`${count} ${count === 1 ? "like" : "likes"}`);
      await ready(page, javaScriptEnabled);
      await heart(page, details).click();
      await expect(heart(page, details)).toHaveAttribute("aria-pressed", "true");
      await expect(details.getByTestId("like-count")).toHaveText(`${count + 1} ${count + 1 === 1 ? "like" : "likes"}`);
      // With JavaScript, signing in, liking and moving between pages all happened in place.
      await expectSamePage(page, javaScriptEnabled);

      // The shopper's liked products: from the account page, and with the listing's own checkbox.
      await page.goto("/account");
      await ready(page, javaScriptEnabled);
      await page.getByRole("link", { name: "Products you like" }).click();
      await expect(page).toHaveURL(/\/products\?liked=true$/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Products you like");
      await expect(page.getByTestId("product-card")).toHaveCount(1);
      await expect(page.getByTestId("product-card")).toContainText(name);
      await expect(page.getByLabel("Liked only")).toBeChecked();

      // Unliked from the list, it leaves it at once and for good, and the list says how to fill it.
      await ready(page, javaScriptEnabled);
      await heart(page).click();
      await expect(page.getByTestId("no-results")).toContainText("Nothing liked yet");
      await page.goto("/products?liked=true");
      await expect(page.getByTestId("no-results")).toContainText("Nothing liked yet");
    });

    test("signed in with a full cart, the listing, product and search pages show that shopper's cart and hearts, and none once signed out", async ({ page, browser }) => {
      const email = `shopper-${javaScriptEnabled ? "js" : "nojs"}-${Date.now()}@example.com`;
      const category = javaScriptEnabled ? "camping" : "writing";
      await account(browser, email);
      await page.goto("/account/login");
      await ready(page, javaScriptEnabled);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();

      // A like and a full cart: the category's first product, three of it.
      await page.goto(`/c/${category}`);
      await ready(page, javaScriptEnabled);
      const first = page.getByTestId("product-card").first();
      const name = (await first.getByRole("heading").textContent())!.trim();
      await first.getByRole("button", { name: `Like ${name}` }).click();
      await expect(page.getByTestId("product-card").first().getByRole("button", { name: `Like ${name}` })).toHaveAttribute("aria-pressed", "true");
      await page.getByTestId("product-card").first().getByRole("link").first().click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
      await ready(page, javaScriptEnabled);
      const sizes = page.getByRole("group", { name: "Size" }).getByRole("radio").and(page.locator(":not([disabled])"));
      if ((await sizes.count()) > 0) await sizes.first().check();
      await page.getByLabel("Quantity").fill("3");
      await page.getByRole("button", { name: "Add to cart" }).click();
      await expect(page.getByTestId("cart-count")).toHaveText("3");

      // Each page shows this shopper's count, menu and hearts: the liked product pressed, others not.
      const word = name.split(" ")[0];
      for (const path of [`/c/${category}`, "/products", `/products?q=${encodeURIComponent(word)}`]) {
        await page.goto(path);
        await ready(page, javaScriptEnabled);
        await expect(page.getByTestId("cart-count")).toHaveText("3");
        const card = page.getByTestId("product-card").filter({ hasText: name }).first();
        if (path !== "/products") await expect(card.getByRole("button", { name: `Like ${name}` })).toHaveAttribute("aria-pressed", "true");
        const others = page.getByTestId("product-card").filter({ hasNotText: name });
        await expect(others.first().getByTestId("like")).toHaveAttribute("aria-pressed", "false");
      }
      await page.getByTestId("product-card").filter({ hasText: name }).first().getByRole("link").first().click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
      await expect(heart(page, page.getByRole("region", { name }))).toHaveAttribute("aria-pressed", "true");
      await expect(page.getByTestId("cart-count")).toHaveText("3");
      if (javaScriptEnabled) {
        await ready(page, javaScriptEnabled);
        await page.getByRole("button", { name: "Account" }).click();
        await expect(page.getByRole("menu").getByRole("menuitem", { name: "Your orders" })).toBeVisible();
        await page.keyboard.press("Escape");
      }

      // Signed out, the same pages show nothing of them.
      await page.goto("/account");
      await ready(page, javaScriptEnabled);
      await page.getByRole("main").getByRole("button", { name: "Sign out", exact: true }).first().click();
      await expect(page).toHaveURL(/\/$/);
      for (const path of [`/c/${category}`, "/products"]) {
        await page.goto(path);
        await expect(page.getByTestId("cart-count")).toHaveText("0");
        await expect(page.locator('[data-testid="like"][aria-pressed="true"]')).toHaveCount(0);
        await expect(page.locator("#account-menu")).toContainText("Sign in");
        await expect(page.locator("#account-menu")).not.toContainText("Sign out");
      }
      await page.goto(`/c/${category}`);
      await page.getByTestId("product-card").filter({ hasText: name }).first().getByRole("link").first().click();
      await expect(heart(page, page.getByRole("region", { name }))).toHaveAttribute("aria-pressed", "false");
    });
  });
}
