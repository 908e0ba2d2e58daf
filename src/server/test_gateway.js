// The built-in test gateway's stand-in for Stripe.js v3: the calls the shop's payment island makes
// (Stripe(key), elements({ clientSecret }), create("payment"), mount(), confirmPayment()), with a
// plain card form where Stripe's Payment Element would put its frame, labelled as Stripe labels it.
(() => {
  const gateway = "/test-gateway";
  const inputClass = "mt-1 w-full rounded-md border border-stone-300 px-3 py-2 text-stone-900";

  function field(label, name, autocomplete, placeholder) {
    const wrapper = document.createElement("div");
    wrapper.className = "mt-3";
    const id = `test-gateway-${name}`;
    const caption = document.createElement("label");
    caption.htmlFor = id;
    caption.className = "block text-sm font-medium text-stone-900";
    caption.textContent = label;
    const input = document.createElement("input");
    Object.assign(input, { id, name, autocomplete, placeholder, inputMode: "numeric", className: inputClass });
    wrapper.append(caption, input);
    return wrapper;
  }

  function cardForm() {
    const box = document.createElement("div");
    box.dataset.testGateway = "card";
    const note = document.createElement("p");
    note.className = "text-sm text-stone-600";
    note.textContent = "Test payments: use 4242 4242 4242 4242 with any future date and any security code.";
    const row = document.createElement("div");
    row.className = "grid grid-cols-2 gap-3";
    row.append(
      field("Expiration date", "exp-date", "cc-exp", "MM / YY"),
      field("Security code", "cvc", "cc-csc", "CVC"),
    );
    box.append(note, field("Card number", "cardnumber", "cc-number", "1234 1234 1234 1234"), row);
    return box;
  }

  window.Stripe = (publishableKey) => {
    let clientSecret = "";
    let host = null;
    return {
      elements(options = {}) {
        clientSecret = String(options.clientSecret || "");
        return {
          create() {
            return {
              mount(target) {
                host = typeof target === "string" ? document.querySelector(target) : target;
                host.replaceChildren(cardForm());
              },
            };
          },
        };
      },
      async confirmPayment({ confirmParams = {} } = {}) {
        const read = (name) => host?.querySelector(`[name="${name}"]`)?.value ?? "";
        const id = clientSecret.split("_secret_")[0];
        const returnUrl = confirmParams.return_url || location.href;
        const body = new URLSearchParams({
          client_secret: clientSecret,
          card_number: read("cardnumber"),
          expiry: read("exp-date"),
          cvc: read("cvc"),
          return_url: new URL(returnUrl, location.href).pathname + new URL(returnUrl, location.href).search,
        });
        let answer;
        try {
          const response = await fetch(`${gateway}/v1/payment_intents/${encodeURIComponent(id)}/confirm`, {
            method: "POST",
            headers: { Authorization: `Bearer ${publishableKey}`, "Content-Type": "application/x-www-form-urlencoded" },
            body,
          });
          answer = await response.json();
        } catch {
          return { error: { type: "api_connection_error", message: "The payment could not be sent. Check your connection and try again." } };
        }
        if (answer.error) return { error: answer.error };
        const challenge = answer.next_action?.redirect_to_url?.url;
        const next = new URL(challenge || returnUrl, location.href);
        if (!challenge) {
          next.searchParams.set("payment_intent", answer.id);
          next.searchParams.set("payment_intent_client_secret", clientSecret);
          next.searchParams.set("redirect_status", "succeeded");
        }
        // As Stripe.js does, the page leaves: the promise never settles.
        location.assign(next);
        return new Promise(() => {});
      },
    };
  };
})();
