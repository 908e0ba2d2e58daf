// A fake Stripe API for the journey that drives the real Payment Element code path: the shop's
// Stripe client reaches it through STRIPE_API_BASE. It answers the PaymentIntent calls the shop
// makes in Stripe's shapes, and lists what it holds at GET /__intents for the test.
import { createServer } from "node:http";

const port = Number(process.env.FAKE_STRIPE_PORT ?? 3109);
const intents = new Map();
const byKey = new Map();

function send(response, status, body) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    const url = new URL(request.url, `http://127.0.0.1:${port}`);
    if (url.pathname === "/__intents") return send(response, 200, [...intents.values()]);
    if (request.headers.authorization !== `Bearer ${process.env.STRIPE_SECRET_KEY}`) {
      return send(response, 401, { error: { type: "invalid_request_error", message: "Invalid API Key provided." } });
    }
    if (request.method === "POST" && url.pathname === "/v1/payment_intents") {
      const key = request.headers["idempotency-key"];
      if (key && byKey.has(key)) return send(response, 200, intents.get(byKey.get(key)));
      const fields = new URLSearchParams(body);
      const id = `pi_stub${intents.size + 1}`;
      const metadata = {};
      for (const [name, value] of fields) {
        const match = /^metadata\[(.+)\]$/.exec(name);
        if (match) metadata[match[1]] = value;
      }
      const intent = {
        id, object: "payment_intent", amount: Number(fields.get("amount")), amount_capturable: 0,
        amount_received: 0, capture_method: "automatic", confirmation_method: "automatic",
        client_secret: `${id}_secret_stub`, created: Math.floor(Date.now() / 1000),
        currency: fields.get("currency"), livemode: false, metadata, payment_method_types: ["card"],
        status: "requires_payment_method",
      };
      intents.set(id, intent);
      if (key) byKey.set(key, id);
      return send(response, 200, intent);
    }
    const match = /^\/v1\/payment_intents\/([^/]+)$/.exec(url.pathname);
    if (request.method === "GET" && match && intents.has(match[1])) return send(response, 200, intents.get(match[1]));
    send(response, 404, { error: { type: "invalid_request_error", code: "resource_missing" } });
  });
}).listen(port, "127.0.0.1");
