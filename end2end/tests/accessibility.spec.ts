import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

const pages = [
  ["home", "/"],
  ["listing", "/products?sort=price_asc"],
  ["search", "/products?q=wool&category=clothing"],
  ["empty search", "/products?q=qqqqzzzz"],
  ["category", "/c/clothing"],
  ["product", "/c/knitwear"],
  ["cart", "/cart"],
] as const;

for (const [name, path] of pages) {
  test(`the ${name} page has no axe-core violations`, async ({ page }) => {
    await page.goto(path);
    await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
    if (name === "product" || name === "cart") {
      // A product page reached the way a shopper does, and a cart with something in it.
      await page.goto(path === "/cart" ? "/c/knitwear" : path);
      await page.getByTestId("product-card").first().getByRole("link").click();
      await expect(page.locator("h1")).toBeVisible();
      if (name === "cart") {
        await page.getByRole("button", { name: "Add to cart" }).click();
        await expect(page.getByTestId("cart-count")).toHaveText("1");
        await page.goto("/cart");
        await expect(page.getByTestId("cart-line")).toHaveCount(1);
      }
    }
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
  });
}
