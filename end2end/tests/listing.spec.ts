import { expect, type Page, test } from "@playwright/test";

async function prices(page: Page): Promise<number[]> {
  const texts = await page.getByTestId("product-card").locator("p").allTextContents();
  return texts.map((text) => Number(text.replace(/[^0-9.]/g, "")));
}

for (const javaScriptEnabled of [false, true]) {
  test.describe(`JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("browse a category, sort, page forward and back", async ({ page }) => {
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      await page.goto("/");
      if (javaScriptEnabled) {
        await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
        // Survives only if later navigations happen in place, without reloading the page.
        await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      }

      await page.getByRole("navigation", { name: "Categories" }).getByRole("link", { name: "Clothing", exact: true }).click();
      await expect(page).toHaveURL(/\/c\/clothing$/);
      await expect(page).toHaveTitle(/Clothing/);
      await expect(page.getByRole("heading", { level: 1, name: "Clothing" })).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("Home");
      await expect(page.getByRole("navigation", { name: "Subcategories" }).getByRole("link")).toHaveCount(3);
      await expect(page.getByTestId("product-card")).toHaveCount(15);

      await page.getByRole("navigation", { name: "Subcategories" }).getByRole("link", { name: "Knitwear" }).click();
      await expect(page).toHaveURL(/\/c\/knitwear$/);
      await expect(page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Clothing" })).toBeVisible();
      await expect(page.getByTestId("product-card")).toHaveCount(5);

      await page.goto("/products");
      await expect(page.getByRole("heading", { level: 1, name: "All products" })).toBeVisible();
      if (javaScriptEnabled) {
        await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
        await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      }
      await page.getByLabel("Sort by").selectOption("price_asc");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page).toHaveURL(/sort=price(_|%5F)asc/);
      await expect(page.getByTestId("product-card")).toHaveCount(24);
      await expect(page.getByLabel("Sort by")).toHaveValue("price_asc");
      await expect(page.getByTestId("product-card").first().locator("p")).toHaveText(/€\d\./);
      const firstPage = await prices(page);
      expect(firstPage).toEqual([...firstPage].sort((a, b) => a - b));
      const firstName = await page.getByTestId("product-card").first().getByRole("heading").textContent();

      await page.getByRole("link", { name: "Next page" }).click();
      await expect(page).toHaveURL(/after=/);
      await expect(page.getByTestId("product-card").first().getByRole("heading")).not.toHaveText(firstName!);
      const secondPage = await prices(page);
      expect(Math.min(...secondPage)).toBeGreaterThanOrEqual(Math.max(...firstPage));

      await page.goBack();
      await expect(page).not.toHaveURL(/after=/);
      await expect(page.getByTestId("product-card").first().getByRole("heading")).toHaveText(firstName!);

      if (javaScriptEnabled) {
        expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
      }
      expect(errors).toEqual([]);
    });

    test("filtering by price and a filter that matches nothing", async ({ page }) => {
      await page.goto("/products");
      if (javaScriptEnabled) await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
      await page.getByLabel("Lowest price").fill("20");
      await page.getByLabel("Highest price").fill("30");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page).toHaveURL(/min_price=20/);
      await expect(page.getByLabel("Lowest price")).toHaveValue("20");
      await expect(page.getByTestId("product-card").first().locator("p")).toHaveText(/€(2\d|30)\./);
      const shown = await prices(page);
      expect(shown.length).toBeGreaterThan(0);
      for (const price of shown) expect(price >= 20 && price <= 30).toBe(true);

      await page.getByLabel("Lowest price").fill("");
      await page.getByLabel("Highest price").fill("");
      await page.getByLabel("Sort by").selectOption("price_asc");
      await page.getByLabel("In stock only").check();
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page).toHaveURL(/in_stock=true/);
      await expect(page.getByLabel("In stock only")).toBeChecked();
      await expect(page.getByTestId("product-card")).toHaveCount(24);
      await expect(page.getByTestId("product-card").filter({ hasText: "Out of stock" })).toHaveCount(0);

      await page.getByLabel("Lowest price").fill("999999");
      await page.getByLabel("Highest price").fill("");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page.getByRole("heading", { name: "No products match" })).toBeVisible();
    });
  });
}
