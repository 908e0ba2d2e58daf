// The Stripe keys, in Stripe's shapes, of the shop the Payment Element journey runs against.
export const STRIPE_KEYS = {
  STRIPE_SECRET_KEY: "sk_test_emporium_journeys",
  STRIPE_PUBLISHABLE_KEY: "pk_test_emporium_journeys",
  STRIPE_WEBHOOK_SECRET: "whsec_emporium_journeys",
};
export const STRIPE_SHOP_PORT = Number(process.env.E2E_STRIPE_PORT ?? 3108);
export const FAKE_STRIPE_PORT = Number(process.env.E2E_FAKE_STRIPE_PORT ?? 3109);
