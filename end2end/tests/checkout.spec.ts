import { expect, type Page, test } from "@playwright/test";

// Checkout and payment on the built-in test gateway, which takes Stripe's test cards through its
// stand-in for Stripe.js and confirms payments to the shop through the signed webhook.

// A purchase is a dozen pages, several of them hydrated, on a busy 2-core machine.
test.describe.configure({ timeout: 120_000 });

async function ready(page: Page) {
  await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
}

/// Adds the first in-stock product of a category to the cart, answering its name.
async function addFrom(page: Page, category: string): Promise<string> {
  await page.goto(`/c/${category}?in_stock=true`);
  const card = page.getByTestId("product-card").filter({ hasNotText: "Out of stock" }).first();
  const name = (await card.getByRole("heading").textContent())!.trim();
  await card.getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  const sizes = page.getByRole("radio");
  if ((await sizes.count()) > 0) await sizes.and(page.locator(":not([disabled])")).first().check();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status")).toContainText("Added to your cart");
  return name;
}

/// From the cart to a placed order: the order page with its card form.
async function placeOrder(page: Page, email: string) {
  await page.goto("/cart");
  await page.getByRole("link", { name: "Go to checkout" }).click();
  await expect(page).toHaveURL(/\/checkout$/);
  await page.getByLabel("Country", { exact: true }).selectOption("DE");
  await page.getByRole("button", { name: "Update totals" }).click();
  await expect(page.getByText("Including tax (19 %)")).toBeVisible();
  const form = page.getByRole("form", { name: "Place your order" });
  await form.getByLabel("Email", { exact: true }).fill(email);
  await form.getByLabel("Full name", { exact: true }).fill("Grace Hopper");
  await form.getByLabel("Address", { exact: true }).fill("Unter den Linden 1");
  await form.getByLabel("Postal code", { exact: true }).fill("10117");
  await form.getByLabel("City", { exact: true }).fill("Berlin");
  const total = (await page.getByTestId("total").textContent())!.trim();
  await form.getByRole("button", { name: /^Place order/ }).click();
  await expect(page).toHaveURL(/\/orders\/EM-\d{4}-\d{6}\?key=/);
  await expect(page.getByTestId("order-status")).toHaveText("Awaiting payment");
  await ready(page);
  await expect(page.getByLabel("Card number")).toBeVisible();
  await expect(page.getByRole("button", { name: `Pay ${total}` })).toBeVisible();
  return { total, url: page.url() };
}

async function payWith(page: Page, card: string) {
  await page.getByLabel("Card number").fill(card);
  await page.getByLabel("Expiration date").fill("12 / 34");
  await page.getByLabel("Security code").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
}

test("a guest buys two products with a card that works, and the order is paid and mailed", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const first = await addFrom(page, "knitwear");
  const second = await addFrom(page, "kitchen");
  const email = `guest-${Date.now()}@example.com`;
  const { total } = await placeOrder(page, email);
  await expect(page.getByTestId("order-line")).toHaveCount(2);
  await expect(page.getByTestId("order-line").filter({ hasText: first })).toHaveCount(1);
  await expect(page.getByTestId("order-line").filter({ hasText: second })).toHaveCount(1);

  await payWith(page, "4242 4242 4242 4242");
  await expect(page).toHaveURL(/redirect_status=succeeded/);
  // The webhook marks it paid; the page shows it without being reloaded.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await expect(page.getByTestId("order-status")).toHaveText("Paid");
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  expect(errors).toEqual([]);
  // The paid lines have left the cart.
  await page.goto("/cart");
  await expect(page.getByRole("heading", { name: "Your cart is empty" })).toBeVisible();
  await expect(page.getByTestId("cart-count")).toHaveText("0");

  await page.goto("/dev/mailbox");
  const mail = page.getByRole("listitem").filter({ hasText: `to ${email}` }).filter({ hasText: /is confirmed/ });
  await expect(mail).toHaveCount(1);
  await mail.getByRole("link").click();
  await expect(page.getByText(first)).toBeVisible();
  await expect(page.getByText(`Total paid: ${total}`)).toBeVisible();
});

test("a declined card says so and another card then pays", async ({ page }) => {
  await addFrom(page, "knitwear");
  await placeOrder(page, `declined-${Date.now()}@example.com`);
  await payWith(page, "4000 0000 0000 0002");
  await expect(page.getByRole("alert").filter({ hasText: "Your card was declined." })).toBeVisible();
  await expect(page.getByTestId("order-status")).toHaveText("Awaiting payment");

  await page.getByLabel("Card number").fill("4000 0000 0000 9995");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByRole("alert").filter({ hasText: "insufficient funds" })).toBeVisible();

  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByTestId("order-status")).toHaveText("Paid");
});

test("a card that asks for 3-D Secure is paid once the challenge is completed", async ({ page }) => {
  await addFrom(page, "kitchen");
  await placeOrder(page, `secure-${Date.now()}@example.com`);
  await payWith(page, "4000 0027 6000 3184");
  await expect(page.getByRole("heading", { name: "3D Secure test page" })).toBeVisible();
  await page.getByRole("button", { name: "Fail authentication" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "unable to authenticate" })).toBeVisible();
  await ready(page);
  await payWith(page, "4000 0027 6000 3184");
  await page.getByRole("button", { name: "Complete authentication" }).click();
  await expect(page.getByTestId("order-status")).toHaveText("Paid");
});

test("closing the tab right after paying still ends in a paid order", async ({ browser }) => {
  // Opened first: a context made right after another was closed has now and then hung in Chromium.
  const elsewhere = await browser.newContext();
  const context = await browser.newContext();
  const page = await context.newPage();
  await addFrom(page, "knitwear");
  const { url } = await placeOrder(page, `closed-${Date.now()}@example.com`);
  const confirmed = page.waitForResponse((response) => response.url().includes("/confirm") && response.ok());
  await payWith(page, "4242 4242 4242 4242");
  await confirmed;
  // The whole browser window goes, not only the tab, so nothing of it is left to wait on.
  await context.close();

  // Later, from the link, in a browser that never saw the return page.
  const later = await elsewhere.newPage();
  await later.goto(url);
  await expect(later.getByTestId("order-status")).toHaveText("Paid");
  await elsewhere.close();
});

test.describe("JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("checkout works up to the card step, which says it needs JavaScript", async ({ page }) => {
    await addFrom(page, "knitwear");
    await page.goto("/checkout?promo=nonsense");
    await expect(page.getByText("That promo code does not exist.")).toBeVisible();
    await expect(page.getByRole("textbox", { name: "Promo code" })).toHaveValue("nonsense");
    const form = page.getByRole("form", { name: "Place your order" });
    await form.getByLabel("Email", { exact: true }).fill("nojs@example.com");
    await form.getByLabel("Full name", { exact: true }).fill("Ada Lovelace");
    await form.getByLabel("Address", { exact: true }).fill("1 rue de la Paix");
    await form.getByLabel("Postal code", { exact: true }).fill("75002");
    await form.getByLabel("City", { exact: true }).fill("Paris");
    await form.getByRole("button", { name: /^Place order/ }).click();
    await expect(page).toHaveURL(/\/orders\/EM-/);
    await expect(page.getByTestId("order-status")).toHaveText("Awaiting payment");
    await expect(page.getByText("Your items are held for you")).toBeVisible();
    await expect(page.getByText("it needs JavaScript")).toBeVisible();
    await expect(page.getByRole("button", { name: /^Pay / })).toBeDisabled();
  });
});

test("checkout and the card step have no axe-core violations", async ({ page }) => {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const violations = async () =>
    (await new AxeBuilder({ page }).analyze()).violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  await addFrom(page, "kitchen");
  await page.goto("/checkout?promo=nonsense");
  await ready(page);
  expect(await violations()).toEqual([]);
  await placeOrder(page, `axe-${Date.now()}@example.com`);
  expect(await violations()).toEqual([]);
});

test("a signed-in shopper buys two products and finds the order among theirs", async ({ page }) => {
  const email = `member-${Date.now()}@example.com`;
  await page.goto("/account/signup");
  await page.getByLabel("Name").fill("Member");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a long enough passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account\/login\?notice=verify/);
  await page.goto("/dev/mailbox");
  await page.getByRole("listitem").filter({ hasText: `to ${email}` }).filter({ hasText: /confirm your email/ }).first().getByRole("link").click();
  await page.getByRole("link", { name: "Confirm your email" }).click();
  await ready(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();

  await addFrom(page, "kitchen");
  await addFrom(page, "knitwear");
  await page.goto("/checkout");
  await expect(page.getByRole("form", { name: "Place your order" }).getByLabel("Email", { exact: true })).toHaveValue(email);
  await placeOrder(page, email);
  const number = new URL(page.url()).pathname.split("/").at(-1)!;
  await expect(page.getByTestId("order-line")).toHaveCount(2);
  await payWith(page, "4242 4242 4242 4242");
  await expect(page.getByTestId("order-status")).toHaveText("Paid");
  await page.goto("/account/orders");
  const summary = page.getByTestId("order-summary").filter({ hasText: number });
  await expect(summary).toContainText("Paid");
  await summary.getByRole("link", { name: number }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Order ${number}` })).toBeVisible();
});
