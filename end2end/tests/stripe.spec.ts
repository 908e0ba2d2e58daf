import { createHmac } from "node:crypto";
import { expect, test } from "@playwright/test";
import { FAKE_STRIPE_PORT, STRIPE_KEYS, STRIPE_SHOP_PORT } from "../support/stripe-keys";

// The shop with Stripe keys (its API calls go to a fake Stripe API), and Stripe.js stubbed in the
// browser: the island's real code path (Stripe(), elements(), create(), mount(), confirmPayment())
// runs, and the order is paid by a webhook signed with Stripe's scheme.

const shop = `http://127.0.0.1:${STRIPE_SHOP_PORT}`;

// Records every call, mounts a placeholder, and on confirmPayment leaves for the return URL as
// Stripe.js does after a card is accepted.
const stripeJs = `
window.__stripe = [];
window.Stripe = (key) => {
  window.__stripe.push(["Stripe", key]);
  return {
    elements(options) {
      window.__stripe.push(["elements", options.clientSecret]);
      return {
        create(kind) {
          window.__stripe.push(["create", kind]);
          return {
            mount(selector) {
              window.__stripe.push(["mount", selector]);
              document.querySelector(selector).replaceChildren(Object.assign(document.createElement("p"), { textContent: "Stripe Payment Element (stub)" }));
            },
          };
        },
      };
    },
    confirmPayment({ elements, confirmParams }) {
      window.__stripe.push(["confirmPayment", confirmParams.return_url, typeof elements]);
      const next = new URL(confirmParams.return_url);
      next.searchParams.set("payment_intent", "from-stub");
      next.searchParams.set("redirect_status", "succeeded");
      location.assign(next);
      return new Promise(() => {});
    },
  };
};`;

test("the Payment Element code path, with Stripe.js stubbed, ends in an order paid by Stripe's webhook", async ({ page, request }) => {
  let stripeJsLoaded = 0;
  await page.route("https://js.stripe.com/v3/**", (route) => {
    stripeJsLoaded += 1;
    return route.fulfill({ contentType: "text/javascript", body: stripeJs });
  });
  await page.goto(`${shop}/c/kitchen?in_stock=true`);
  await page.getByTestId("product-card").first().getByRole("link").click();
  const sizes = page.getByRole("radio");
  if ((await sizes.count()) > 0) await sizes.and(page.locator(":not([disabled])")).first().check();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status")).toContainText("Added to your cart");
  await page.goto(`${shop}/checkout`);
  const form = page.getByRole("form", { name: "Place your order" });
  await form.getByLabel("Email", { exact: true }).fill("stripe@example.com");
  await form.getByLabel("Full name", { exact: true }).fill("Katherine Johnson");
  await form.getByLabel("Address", { exact: true }).fill("Via Roma 1");
  await form.getByLabel("Postal code", { exact: true }).fill("00100");
  await form.getByLabel("City", { exact: true }).fill("Roma");
  await form.getByRole("button", { name: /^Place order/ }).click();
  await expect(page).toHaveURL(/\/orders\/EM-/);
  await expect(page.getByText("Stripe Payment Element (stub)")).toBeVisible();
  expect(stripeJsLoaded).toBe(1);

  const intents = await (await request.get(`http://127.0.0.1:${FAKE_STRIPE_PORT}/__intents`)).json();
  const intent = intents.at(-1);
  const calls = await page.evaluate(() => (window as unknown as { __stripe: unknown[] }).__stripe);
  expect(calls).toEqual([
    ["Stripe", STRIPE_KEYS.STRIPE_PUBLISHABLE_KEY],
    ["elements", intent.client_secret],
    ["create", "payment"],
    ["mount", "#payment-element"],
  ]);
  const orderUrl = page.url();
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page).toHaveURL(/redirect_status=succeeded/);
  expect(page.url().startsWith(orderUrl)).toBe(true);
  await expect(page.getByText("Confirming your payment")).toBeVisible();

  // Stripe's webhook, signed as Stripe signs it.
  const now = Math.floor(Date.now() / 1000);
  const event = JSON.stringify({
    id: `evt_journey_${now}`, object: "event", created: now, livemode: false, pending_webhooks: 1,
    type: "payment_intent.succeeded",
    data: { object: { ...intent, status: "succeeded", amount_received: intent.amount } },
  });
  const signature = createHmac("sha256", STRIPE_KEYS.STRIPE_WEBHOOK_SECRET).update(`${now}.${event}`).digest("hex");
  const delivered = await request.post(`${shop}/stripe/webhook`, {
    data: event,
    headers: { "content-type": "application/json", "stripe-signature": `t=${now},v1=${signature}` },
  });
  expect(delivered.status()).toBe(200);
  await expect(page.getByTestId("order-status")).toHaveText("Paid");
});
