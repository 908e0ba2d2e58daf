import { expect, test } from "@playwright/test";
import { ready } from "../support/journeys";

function euros(text: string | null): number {
  return Number((text ?? "").replace(/[^0-9.]/g, ""));
}

for (const javaScriptEnabled of [false, true]) {
  test.describe(`JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("open a product, pick a variant, fill the cart, change it and empty it", async ({ page }) => {
      await page.goto("/c/knitwear");
      await ready(page, javaScriptEnabled);
      // Survives only while later pages are patched into this one.
      if (javaScriptEnabled) await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      const card = page.getByTestId("product-card").first();
      const name = (await card.getByRole("heading").textContent())!;
      await card.getByRole("link").click();

      await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Knitwear" })).toBeVisible();
      await expect(page.getByRole("heading", { name: /More from Knitwear/ })).toBeVisible();

      // The gallery: thumbnails are links that choose the large image.
      const main = page.getByTestId("main-image");
      const firstSrc = await main.getAttribute("src");
      await page.getByRole("link", { name: "Show image 2 of 3" }).click();
      await expect(page).toHaveURL(/\?image=1$/);
      await expect(main).not.toHaveAttribute("src", firstSrc!);
      await expect(page.getByRole("link", { name: "Show image 2 of 3" })).toHaveAttribute("aria-current", "true");

      // Sizes: pick the last one in stock, two of them.
      const sizes = page.getByRole("group", { name: "Size" }).getByRole("radio");
      await expect(sizes).toHaveCount(4);
      const inStock = sizes.and(page.locator(":not([disabled])"));
      await inStock.last().check();
      await page.getByLabel("Quantity").fill("2");
      await page.getByRole("button", { name: "Add to cart" }).click();
      await expect(page.getByTestId("cart-count")).toHaveText("2");
      await expect(page.getByRole("status")).toContainText("Added to your cart");

      await page.getByRole("link", { name: /^Cart/ }).click();
      await expect(page).toHaveURL(/\/cart$/);
      await ready(page, javaScriptEnabled);
      const line = page.getByTestId("cart-line");
      await expect(line).toHaveCount(1);
      await expect(line).toContainText(name);
      const unit = euros(await line.getByText(/ each$/).textContent());
      await expect(page.getByTestId("subtotal")).toHaveText(`€${(unit * 2).toFixed(2)}`);

      await line.getByRole("spinbutton").fill("3");
      await line.getByRole("button", { name: "Update" }).click();
      await expect(page.getByTestId("cart-count")).toHaveText("3");
      await expect(page.getByTestId("subtotal")).toHaveText(`€${(unit * 3).toFixed(2)}`);

      // More than is in stock is refused with a reason, and nothing changes.
      await page.getByTestId("cart-line").getByRole("spinbutton").fill("99");
      await page.getByTestId("cart-line").getByRole("button", { name: "Update" }).click();
      await expect(page.getByRole("alert")).toContainText(/Only \d+ left in stock/);
      await expect(page.getByTestId("cart-count")).toHaveText("3");
      await expect(page.getByTestId("subtotal")).toHaveText(`€${(unit * 3).toFixed(2)}`);

      await page.getByTestId("cart-line").getByRole("button", { name: /^Remove/ }).click();
      await expect(page.getByRole("heading", { name: "Your cart is empty" })).toBeVisible();
      await expect(page.getByTestId("cart-count")).toHaveText("0");
      if (javaScriptEnabled) expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    });

    test("a sold-out product cannot be added", async ({ page }) => {
      await page.goto("/products?sort=price_asc");
      await ready(page, javaScriptEnabled);
      const soldOut = page.getByTestId("product-card").filter({ hasText: "Out of stock" }).first();
      await soldOut.getByRole("link").click();
      await expect(page.getByRole("button", { name: "Out of stock" })).toBeDisabled();
    });
  });
}
