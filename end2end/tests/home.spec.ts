import { expect, test } from "@playwright/test";

test.describe("with JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("the home page is a complete shop page", async ({ page }) => {
    const response = await page.goto("/");
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle(/Emporium/);

    const featured = page.getByRole("region", { name: "Featured" });
    const cards = featured.getByTestId("product-card");
    await expect(cards).toHaveCount(8);
    for (const card of await cards.all()) {
      await expect(card.getByRole("heading")).not.toBeEmpty();
      await expect(card.getByText(/€\d+\.\d\d/)).toBeVisible();
      // Decorative: the link's heading names the product.
      await expect(card.locator("img")).toHaveAttribute("alt", "");
    }
    await expect(page.getByRole("region", { name: "New arrivals" }).getByTestId("product-card")).toHaveCount(8);

    const categories = page.getByRole("navigation", { name: "Categories" });
    await expect(categories.getByRole("link", { name: "Kitchen", exact: true })).toHaveAttribute("href", "/c/kitchen");
    await expect(page.getByRole("searchbox", { name: "Search products" })).toBeVisible();
    await expect(page.getByTestId("cart-count")).toHaveText("0");

    // Product images are served from the media directory.
    const image = cards.first().locator("img");
    const src = await image.getAttribute("src");
    const media = await page.request.get(src!);
    expect(media.status()).toBe(200);
    expect(media.headers()["content-type"]).toBe("image/svg+xml");
  });

  test("the account menu falls back to a link", async ({ page }) => {
    await page.goto("/");
    const account = page.locator("#account-menu-button");
    await expect(account).toHaveAttribute("href", "/account");
    await expect(page.locator("#account-menu")).toBeHidden();
  });

  test("the search box submits a plain GET form", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("searchbox", { name: "Search products" }).fill("mug");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/\/products\?q=mug$/);
  });

  test("an unknown address shows the styled 404 page", async ({ page }) => {
    const response = await page.goto("/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await page.getByRole("link", { name: "Back to the shop" }).click();
    await expect(page).toHaveURL(/\/$/);
  });
});

test.describe("with JavaScript on", () => {
  test("the page hydrates and the account menu opens in place", async ({ page }) => {
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });

    await page.goto("/");
    // Set by an effect of the account menu, an island, once the WASM bundle has hydrated it.
    await expect(page.locator("html[data-hydrated=true]")).toBeAttached();

    const button = page.getByRole("button", { name: "Account" });
    const menu = page.getByRole("menu");
    await expect(button).toHaveAttribute("aria-expanded", "false");
    // A mark on this document: a navigation, even to the same address, would leave a new one without it.
    await page.evaluate(() => document.documentElement.setAttribute("data-before-menu", ""));
    await button.click();
    await expect(button).toHaveAttribute("aria-expanded", "true");
    await expect(menu).toBeVisible();
    await expect(menu.getByRole("menuitem", { name: "Sign in" })).toHaveAttribute("href", "/account/login");
    await expect(page.locator("html[data-before-menu]")).toBeAttached();
    expect(new URL(page.url()).pathname).toBe("/");

    await page.keyboard.press("Escape");
    await expect(menu).toBeHidden();
    await expect(page.getByTestId("product-card").first()).toBeVisible();
    expect(errors).toEqual([]);
  });
});
