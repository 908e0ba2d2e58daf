import { expect, type Page, test } from "@playwright/test";

async function search(page: Page, text: string) {
  await page.getByRole("searchbox", { name: "Search products" }).fill(text);
  await page.getByRole("button", { name: "Search", exact: true }).click();
}

for (const javaScriptEnabled of [false, true]) {
  test.describe(`JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("search, narrow by a facet, and recover from a misspelling and nonsense", async ({ page }) => {
      await page.goto("/");
      if (javaScriptEnabled) await expect(page.locator("html[data-hydrated=true]")).toBeAttached();

      await search(page, "wool");
      await expect(page).toHaveURL(/\/products\?q=wool$/);
      await expect(page.getByRole("heading", { level: 1, name: "Results for “wool”" })).toBeVisible();
      await expect(page.getByLabel("Sort by")).toHaveValue("relevance");
      // Products named for the word come before those that only mention it.
      const cards = page.getByTestId("product-card");
      await expect(cards.first().getByRole("heading")).toContainText("Wool");
      expect(await cards.count()).toBeGreaterThan(3);

      const facets = page.getByRole("complementary", { name: "Narrow the results" });
      const outerwear = facets.getByRole("link", { name: /^Outerwear \(\d+\)$/ });
      const count = Number((await outerwear.textContent())!.match(/\((\d+)\)/)![1]);
      await outerwear.click();
      await expect(page).toHaveURL(/category=outerwear/);
      await expect(facets.getByRole("link", { name: /^Outerwear/ })).toHaveAttribute("aria-current", "true");
      await expect(cards).toHaveCount(count);
      await expect(cards.first().getByRole("heading")).toContainText("Wool");

      if (javaScriptEnabled) await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
      await search(page, "wooll");
      await expect(page.getByTestId("corrected")).toContainText("Showing results for wool");
      await expect(cards.first().getByRole("heading")).toContainText("Wool");
      await page.getByRole("link", { name: "Search instead for wooll" }).click();
      await expect(page).toHaveURL(/exact=true/);
      await expect(page.getByRole("heading", { name: "No products match" })).toBeVisible();
      await page.getByRole("link", { name: "wool", exact: true }).click();
      await expect(page).toHaveURL(/\/products\?q=wool$/);
      await expect(cards.first()).toBeVisible();

      if (javaScriptEnabled) await expect(page.locator("html[data-hydrated=true]")).toBeAttached();
      await search(page, "qqqqzzzz");
      await expect(page.getByRole("heading", { name: "No products match" })).toBeVisible();
      const popular = page.getByRole("navigation", { name: "Popular categories" });
      await expect(popular.getByRole("link")).toHaveCount(4);
      await popular.getByRole("link", { name: "Kitchen" }).click();
      await expect(page).toHaveURL(/\/c\/kitchen$/);
      await expect(page.getByRole("heading", { level: 1, name: "Kitchen" })).toBeVisible();
    });
  });
}
