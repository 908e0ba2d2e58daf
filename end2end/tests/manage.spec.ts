import { expect, test } from "@playwright/test";
import { createAdmin, noAxeViolations, png, ready, signIn } from "../support/journeys";

for (const javaScriptEnabled of [false, true]) {
  test.describe(`JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });
    test.describe.configure({ timeout: 120_000 });
    const tag = javaScriptEnabled ? "js" : "nojs";
    // A variant of its own for each run, so the two never count each other's changes.
    const sku = javaScriptEnabled ? "NSBB-00073" : "STCBM-00074";

    test("an admin invites a support user, who adjusts stock and sees the ledger row", async ({ page, browser }) => {
      const admin = `stock-admin-${tag}-${Date.now()}@example.com`;
      const adminPassword = createAdmin(admin);
      await signIn(page, javaScriptEnabled, admin, adminPassword);
      await page.goto("/manage/users");
      await ready(page, javaScriptEnabled);
      const support = `stock-${tag}-${Date.now()}@example.com`;
      const form = page.getByRole("form", { name: "Create an account" });
      await form.getByLabel("Name").fill("Sam Stock");
      await form.getByLabel("Email").fill(support);
      await form.getByLabel("Role", { exact: true }).selectOption("support");
      await form.getByLabel("Your password").fill(adminPassword);
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page).toHaveURL(/\/manage\/users\/\d+$/);

      // The support user, on their own device, takes up the invitation.
      const context = await browser.newContext({ javaScriptEnabled });
      const staff = await context.newPage();
      await staff.goto("/dev/mailbox");
      await staff.getByRole("listitem").filter({ hasText: `to ${support}` }).first().getByRole("link").click();
      await staff.getByRole("link", { name: "Choose your password" }).click();
      await ready(staff, javaScriptEnabled);
      await staff.getByLabel("New password", { exact: true }).fill("a sturdy stockroom passphrase");
      await staff.getByRole("button", { name: "Save the new password" }).click();
      await expect(staff).toHaveURL(/notice=password-reset/);
      await signIn(staff, javaScriptEnabled, support, "a sturdy stockroom passphrase");

      await staff.goto("/manage");
      await ready(staff, javaScriptEnabled);
      const nav = staff.getByRole("navigation", { name: "Back office" });
      await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
      await nav.getByRole("link", { name: "Stock" }).click();
      await expect(staff).toHaveURL(/\/manage\/inventory$/);
      await ready(staff, javaScriptEnabled);
      await noAxeViolations(staff, javaScriptEnabled);

      await staff.getByRole("combobox", { name: "Show" }).selectOption("out");
      await staff.getByRole("search", { name: "Search stock" }).getByRole("button", { name: "Search" }).click();
      await expect(staff).toHaveURL(/show=out/);
      await expect(staff.getByTestId("stock-row").first()).toContainText("Out of stock");

      await staff.getByRole("searchbox", { name: "Product or SKU" }).fill(sku.toLowerCase());
      await staff.getByRole("combobox", { name: "Show" }).selectOption("all");
      await staff.getByRole("search", { name: "Search stock" }).getByRole("button", { name: "Search" }).click();
      await expect(staff.getByTestId("stock-row")).toHaveCount(1);
      await staff.getByTestId("stock-row").getByRole("link").click();
      await expect(staff).toHaveURL(/\/manage\/inventory\/\d+$/);
      await ready(staff, javaScriptEnabled);
      await noAxeViolations(staff, javaScriptEnabled);
      const before = Number(await staff.getByTestId("on-hand").textContent());

      const adjust = staff.getByRole("form", { name: "Adjust stock" });
      await adjust.getByLabel("Change").fill("7");
      await adjust.getByLabel("Reason").selectOption("received");
      await adjust.getByLabel("Note (optional)").fill(`delivery ${tag}`);
      await staff.getByRole("button", { name: "Save change" }).click();
      await expect(staff.getByRole("status")).toContainText("Stock changed.");
      await expect(staff.getByTestId("on-hand")).toHaveText(String(before + 7));
      const newest = staff.getByTestId("ledger-row").first();
      await expect(newest).toContainText("+7");
      await expect(newest).toContainText("Goods received");
      await expect(newest).toContainText(`delivery ${tag}`);
      await expect(newest).toContainText("Sam Stock");

      // Taking away more than there is changes nothing and says how many could go.
      await adjust.getByLabel("Change").fill(String(-(before + 100)));
      await adjust.getByLabel("Reason").selectOption("damaged");
      await staff.getByRole("button", { name: "Save change" }).click();
      await expect(staff.getByRole("alert")).toContainText(`so at most ${before + 7} can be taken away`);
      await expect(staff.getByTestId("on-hand")).toHaveText(String(before + 7));
      await context.close();
    });

    test("a manager withdraws a product from the shop and publishes it again", async ({ page }) => {
      const [name, slug] = javaScriptEnabled
        ? ["Nordic Resin Rollerball", "nordic-resin-rollerball"]
        : ["Studio Recycled Nylon Flask", "studio-recycled-nylon-flask"];
      const admin = `products-admin-${tag}-${Date.now()}@example.com`;
      await signIn(page, javaScriptEnabled, admin, createAdmin(admin));
      await page.goto("/manage");
      await ready(page, javaScriptEnabled);
      await page.getByRole("navigation", { name: "Back office" }).getByRole("link", { name: "Products" }).click();
      await expect(page).toHaveURL(/\/manage\/products$/);
      await ready(page, javaScriptEnabled);
      await noAxeViolations(page, javaScriptEnabled);

      const filters = page.getByRole("search", { name: "Filter products" });
      await filters.getByLabel("Name or SKU").fill(name);
      await filters.getByRole("button", { name: "Filter" }).click();
      await expect(page.getByTestId("product-row")).toHaveCount(1);
      await ready(page, javaScriptEnabled);
      const row = page.getByTestId("product-row");
      await expect(row.getByTestId("product-status")).toHaveText("Active");

      await row.getByRole("checkbox", { name: `Select ${name}` }).check();
      await page.getByLabel("With the selected").selectOption("withdraw");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page.getByRole("status")).toContainText("Products updated.");
      await expect(page.getByTestId("product-row").getByTestId("product-status")).toHaveText("Draft");
      expect((await page.request.get(`/p/${slug}`)).status()).toBe(404);

      await page.getByTestId("product-row").getByRole("checkbox", { name: `Select ${name}` }).check();
      await page.getByLabel("With the selected").selectOption("publish");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page.getByTestId("product-row").getByTestId("product-status")).toHaveText("Active");
      expect((await page.request.get(`/p/${slug}`)).status()).toBe(200);

      // Nothing selected: told so, nothing changes.
      await page.getByLabel("With the selected").selectOption("archive");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page.getByRole("alert")).toContainText("Select at least one product.");
      await expect(page.getByTestId("product-row").getByTestId("product-status")).toHaveText("Active");
    });

    test("a manager creates a product with two variants and two images, publishes it, finds it in the shop and changes its price", async ({ page }) => {
      const stamp = Date.now();
      const name = `Orrery Lamp ${tag} ${stamp}`;
      const admin = `creator-${tag}-${stamp}@example.com`;
      await signIn(page, javaScriptEnabled, admin, createAdmin(admin));
      await page.goto("/manage/products");
      await ready(page, javaScriptEnabled);
      await page.getByRole("link", { name: "New product" }).click();
      await expect(page).toHaveURL(/\/manage\/products\/new$/);
      await ready(page, javaScriptEnabled);
      await noAxeViolations(page, javaScriptEnabled);

      const details = page.getByRole("form", { name: "Product details" });
      await details.getByLabel("Name").fill(name);
      await details.getByLabel("Description", { exact: true }).fill("A brass orrery that is also a **lamp**.");
      await details.getByLabel("Category").selectOption("lighting");
      await page.getByRole("button", { name: "Create product" }).click();
      await expect(page).toHaveURL(/\/manage\/products\/\d+$/);
      await ready(page, javaScriptEnabled);
      await expect(page.getByText("No variants yet")).toBeVisible();

      const add = page.getByRole("form", { name: "Add a variant" });
      for (const [sku, title, price] of [[`ORR-${tag}-${stamp}-S`, "Small", "120"], [`ORR-${tag}-${stamp}-L`, "Large", "180.50"]]) {
        await add.getByLabel("SKU").fill(sku);
        await add.getByLabel("Name").fill(title);
        await add.getByLabel("Price").fill(price);
        await page.getByRole("button", { name: "Add variant" }).click();
        await expect(page.getByRole("status")).toContainText("Variant saved.");
      }
      await expect(page.getByTestId("variant-line")).toHaveCount(2);
      await noAxeViolations(page, javaScriptEnabled);

      // Two images, described for those who cannot see them: chosen in the file input without
      // JavaScript, dropped on the form with it.
      const upload = page.getByRole("form", { name: "Upload images" });
      await upload.getByLabel("Description").fill(`${name} on a desk`);
      const files = [png("front.png", 800, 600, [180, 140, 40]), png("side.png", 600, 600, [60, 60, 60])];
      if (javaScriptEnabled) {
        const dropped = await page.evaluateHandle((files) => {
          const transfer = new DataTransfer();
          for (const file of files) transfer.items.add(new File([new Uint8Array(file.bytes)], file.name, { type: "image/png" }));
          return transfer;
        }, files.map((file) => ({ name: file.name, bytes: [...file.buffer] })));
        await upload.dispatchEvent("drop", { dataTransfer: dropped });
      } else {
        await upload.getByLabel("Image files").setInputFiles(files);
        await upload.getByRole("button", { name: "Upload" }).click();
      }
      await expect(page.getByRole("status")).toContainText("Images uploaded.");
      await ready(page, javaScriptEnabled);
      await expect(page.getByTestId("image-line")).toHaveCount(2);
      await expect(page.getByTestId("image-line").first()).toContainText("800 × 600 pixels");
      await page.getByRole("button", { name: "Show first: image 2" }).click();
      await expect(page.getByRole("status")).toContainText("Image moved.");
      await expect(page.getByTestId("image-line").first()).toContainText("600 × 600 pixels");
      await noAxeViolations(page, javaScriptEnabled);

      // Stock for the large one, then into the shop.
      const editor = page.url();
      await page.getByTestId("variant-line").nth(1).getByRole("link", { name: /on hand/ }).click();
      await ready(page, javaScriptEnabled);
      const adjust = page.getByRole("form", { name: "Adjust stock" });
      await adjust.getByLabel("Change").fill("12");
      await page.getByRole("button", { name: "Save change" }).click();
      await expect(page.getByTestId("on-hand")).toHaveText("12");
      await page.goto(editor);
      await ready(page, javaScriptEnabled);
      await details.getByLabel("Status").selectOption("active");
      await page.getByRole("button", { name: "Save product" }).click();
      await expect(page.getByRole("status")).toContainText("Product saved.");

      await page.goto(`/products?q=${encodeURIComponent(name)}`);
      await expect(page.getByTestId("product-card").filter({ hasText: name })).toContainText("€120.00");
      const picture = page.getByTestId("product-card").filter({ hasText: name }).locator("img");
      await expect(picture).toHaveAttribute("srcset", /-320\.webp 320w, .*-600\.webp 600w$/);
      await page.getByTestId("product-card").filter({ hasText: name }).getByRole("link").first().click();
      await expect(page.getByTestId("main-image")).toHaveAttribute("alt", `${name} on a desk`);
      await expect(page.getByRole("link", { name: "Show image 2 of 2" })).toBeVisible();
      expect(await page.getByTestId("main-image").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      await page.goto("/c/lighting?sort=newest");
      await expect(page.getByTestId("product-card").filter({ hasText: name })).toBeVisible();

      // A new price shows in the shop at once.
      await page.goto(`/manage/products?q=${encodeURIComponent(name)}`);
      await page.getByTestId("product-row").getByRole("link", { name }).click();
      await ready(page, javaScriptEnabled);
      const small = page.getByRole("form", { name: `Variant ORR-${tag.toUpperCase()}-${stamp}-S` });
      await small.getByLabel("Price").fill("99");
      await small.getByRole("button", { name: "Save" }).click();
      await expect(page.getByRole("status")).toContainText("Variant saved.");
      await page.goto(`/products?q=${encodeURIComponent(name)}`);
      await expect(page.getByTestId("product-card").filter({ hasText: name })).toContainText("€99.00");

      // Each of those writes is in the audit log, under the one who made it.
      await page.goto("/manage/audit");
      await ready(page, javaScriptEnabled);
      await noAxeViolations(page, javaScriptEnabled);
      const filters = page.getByRole("search", { name: "Filter the audit log" });
      await filters.getByLabel("Staff member").fill(admin);
      await filters.getByLabel("Record", { exact: true }).selectOption("product");
      await filters.getByRole("button", { name: "Filter" }).click();
      await expect(page.getByTestId("audit-line")).toHaveCount(4);
      await expect(page.getByTestId("audit-line").first()).toContainText("update_product");
      await expect(page.getByTestId("audit-line").last()).toContainText("create_product");
      await expect(page.getByTestId("audit-line").last()).toContainText(name);
    });

    test("a manager adds a subcategory, gives it a picture, finds it in the shop, then hides it", async ({ page }) => {
      const stamp = Date.now();
      const name = `Reading Lamps ${tag} ${stamp}`;
      const slug = `reading-lamps-${tag}-${stamp}`;
      const admin = `categories-${tag}-${stamp}@example.com`;
      await signIn(page, javaScriptEnabled, admin, createAdmin(admin));
      await page.goto("/manage");
      await ready(page, javaScriptEnabled);
      await page.getByRole("navigation", { name: "Back office" }).getByRole("link", { name: "Categories" }).click();
      await expect(page).toHaveURL(/\/manage\/categories$/);
      await ready(page, javaScriptEnabled);
      await noAxeViolations(page, javaScriptEnabled);
      await page.getByRole("link", { name: "New category" }).click();
      await ready(page, javaScriptEnabled);
      const details = page.getByRole("form", { name: "Category details" });
      await details.getByLabel("Name").fill(name);
      await details.getByLabel("Under").selectOption("home");
      await page.getByRole("button", { name: "Create category" }).click();
      await expect(page).toHaveURL(/\/manage\/categories\/\d+$/);
      await ready(page, javaScriptEnabled);
      await noAxeViolations(page, javaScriptEnabled);
      await expect(details.getByLabel("Address")).toHaveValue(slug);
      expect((await page.request.get(`/c/${slug}`)).status()).toBe(200);

      // A picture for its page, described: chosen in the file input without JavaScript, dropped
      // on the form with it.
      const picture = page.getByRole("form", { name: "Upload a picture" });
      await picture.getByLabel("Description").fill("Reading lamps by a window");
      const file = png("window.png", 1200, 400, [200, 180, 120]);
      if (javaScriptEnabled) {
        const dropped = await page.evaluateHandle((file) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(file.bytes)], file.name, { type: "image/png" }));
          return transfer;
        }, { name: file.name, bytes: [...file.buffer] });
        await picture.dispatchEvent("drop", { dataTransfer: dropped });
      } else {
        await picture.getByLabel("Picture file").setInputFiles(file);
        await picture.getByRole("button", { name: "Upload" }).click();
      }
      await expect(page.getByRole("status")).toContainText("Picture uploaded.");
      await ready(page, javaScriptEnabled);
      await expect(page.getByTestId("category-picture")).toContainText("1200 × 400 pixels");
      await noAxeViolations(page, javaScriptEnabled);
      const editor = page.url();
      await page.goto(`/c/${slug}`);
      const shown = page.getByRole("img", { name: "Reading lamps by a window" });
      await expect(shown).toBeVisible();
      await expect.poll(() => shown.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth)).toBeGreaterThan(0);
      await page.goto(editor);
      await ready(page, javaScriptEnabled);

      await details.getByLabel("Hidden from the shop").check();
      // The note from creating it is still on the page: wait for this save's own answer.
      const saved = page.waitForResponse((response) => response.url().includes("/api/manage/save_category"));
      await page.getByRole("button", { name: "Save category" }).click();
      await saved;
      await expect(page.getByRole("status")).toContainText("Category saved.");
      expect((await page.request.get(`/c/${slug}`)).status()).toBe(404);
      await page.goto("/manage/categories");
      await expect(page.getByTestId("category-line").filter({ hasText: name })).toContainText("Hidden");
    });

    test("a manager rewrites a product's description in Markdown and moves it to a new address", async ({ page }) => {
      const [name, slug] = javaScriptEnabled ? ["Studio Leather Cap", "studio-leather-cap"] : ["Studio Brass Brush Pen", "studio-brass-brush-pen"];
      const admin = `editor-admin-${tag}-${Date.now()}@example.com`;
      await signIn(page, javaScriptEnabled, admin, createAdmin(admin));
      await page.goto(`/manage/products?q=${encodeURIComponent(name)}`);
      await ready(page, javaScriptEnabled);
      await page.getByTestId("product-row").getByRole("link", { name }).click();
      await expect(page).toHaveURL(/\/manage\/products\/\d+$/);
      await ready(page, javaScriptEnabled);
      await noAxeViolations(page, javaScriptEnabled);

      const form = page.getByRole("form", { name: "Product details" });
      await form.getByLabel("Address").fill(`${slug}-2`);
      await form.getByLabel("Description", { exact: true }).fill("## Made to last\n\nCut from **one piece**.\n\n- stitched by hand\n- oiled twice");
      await form.getByLabel("Search title").fill(`${name}, made to last`);
      await page.getByRole("button", { name: "Save product" }).click();
      await expect(page.getByRole("status")).toContainText("Product saved.");
      await expect(form.getByLabel("Address")).toHaveValue(`${slug}-2`);

      // The old address leads to the new one, which shows the description formatted.
      await page.goto(`/p/${slug}`);
      await expect(page).toHaveURL(new RegExp(`/p/${slug}-2$`));
      await expect(page).toHaveTitle(new RegExp(`^${name}, made to last`));
      await expect(page.getByRole("heading", { level: 3, name: "Made to last" })).toBeVisible();
      await expect(page.locator(".description strong")).toHaveText("one piece");
      await expect(page.locator(".description li")).toHaveCount(2);
    });
  });
}
