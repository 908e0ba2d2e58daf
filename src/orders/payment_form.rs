//! The card step: Stripe's Payment Element in an island. The browser loads Stripe.js (or the test
//! gateway's stand-in) from the page; the island mounts the element and, when the shopper pays,
//! asks Stripe to confirm the payment, which takes them through 3-D Secure if their bank wants it
//! and back to the order's page. The order is marked paid by the provider's webhook, not here.

use super::PaymentStep;
use leptos::prelude::*;

#[island]
pub fn PaymentForm(step: PaymentStep) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    // Until the card form is there (never, without JavaScript), there is nothing to pay with.
    let busy = RwSignal::new(true);
    let label = format!("Pay {}", step.amount);
    #[cfg(feature = "hydrate")]
    let submit = browser::start(step, problem, busy);
    #[cfg(not(feature = "hydrate"))]
    let submit = {
        let _ = step;
        |_: leptos::ev::SubmitEvent| {}
    };
    view! {
        <form on:submit=submit aria-label="Pay by card" class="mt-4">
            <div id="payment-element" class="min-h-24">
                <p class="text-sm text-stone-700">"The card form appears here; it needs JavaScript. If it does not appear, turn JavaScript on and reload this page: your items stay held meanwhile."</p>
            </div>
            <button type="submit" disabled=move || busy.get() aria-busy=move || busy.get().to_string()
                class="mt-6 w-full rounded-md bg-stone-900 px-6 py-3 text-lg font-medium text-white hover:bg-stone-700 disabled:cursor-wait disabled:bg-stone-500">
                {label}
            </button>
            <p role="alert" class="mt-3 text-sm text-red-800">{move || problem.get()}</p>
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::PaymentStep;
    use js_sys::{Object, Reflect};
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// What `Stripe(publishableKey)` returns.
        #[derive(Clone)]
        type Stripe;
        #[wasm_bindgen(js_name = Stripe, catch)]
        fn new_stripe(publishable_key: &str) -> Result<Stripe, JsValue>;
        #[wasm_bindgen(method, catch)]
        fn elements(this: &Stripe, options: &JsValue) -> Result<Elements, JsValue>;
        #[wasm_bindgen(method, js_name = confirmPayment)]
        fn confirm_payment(this: &Stripe, options: &JsValue) -> js_sys::Promise;

        #[derive(Clone)]
        type Elements;
        #[wasm_bindgen(method, catch)]
        fn create(this: &Elements, kind: &str) -> Result<Element, JsValue>;

        type Element;
        #[wasm_bindgen(method, catch)]
        fn mount(this: &Element, selector: &str) -> Result<(), JsValue>;
    }

    fn object(pairs: &[(&str, &JsValue)]) -> JsValue {
        let object = Object::new();
        for (key, value) in pairs {
            let _ = Reflect::set(&object, &JsValue::from_str(key), value);
        }
        object.into()
    }

    const UNAVAILABLE: &str =
        "The card form could not be loaded. Reload the page to try again; your items stay held.";

    /// Mounts the Payment Element once the island is hydrated; answers the form's submit handler.
    pub fn start(
        step: PaymentStep,
        problem: RwSignal<Option<String>>,
        busy: RwSignal<bool>,
    ) -> impl Fn(leptos::ev::SubmitEvent) + 'static {
        let mounted = StoredValue::new_local(None::<(Stripe, Elements)>);
        // After hydration, so the element's frame replaces what the server rendered in its place
        // without upsetting hydration.
        let (key, secret) = (step.publishable_key.clone(), step.client_secret.clone());
        Effect::new(move |_| {
            if mounted.with_value(Option::is_some) {
                return;
            }
            let stripe = new_stripe(&key).ok();
            let ready = stripe.and_then(|stripe| {
                let options = object(&[("clientSecret", &JsValue::from_str(&secret))]);
                let elements = stripe.elements(&options).ok()?;
                elements
                    .create("payment")
                    .ok()?
                    .mount("#payment-element")
                    .ok()?;
                Some((stripe, elements))
            });
            match ready {
                Some(_) => busy.set(false),
                None => problem.set(Some(UNAVAILABLE.to_owned())),
            }
            mounted.set_value(ready);
        });
        let return_url = format!(
            "{}{}",
            window().location().origin().unwrap_or_default(),
            step.return_path
        );
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            // One confirmation at a time: a second press would pay twice.
            if busy.get_untracked() {
                return;
            }
            let Some((stripe, elements)) = mounted.get_value() else {
                problem.set(Some(UNAVAILABLE.to_owned()));
                return;
            };
            busy.set(true);
            problem.set(None);
            let params = object(&[("return_url", &JsValue::from_str(&return_url))]);
            let options = object(&[("elements", &elements.into()), ("confirmParams", &params)]);
            let answer = stripe.confirm_payment(&options);
            leptos::task::spawn_local(async move {
                // On success the browser leaves for the return URL; an answer means it failed.
                let message = match wasm_bindgen_futures::JsFuture::from(answer).await {
                    Ok(result) => Reflect::get(&result, &"error".into())
                        .and_then(|error| Reflect::get(&error, &"message".into()))
                        .ok()
                        .and_then(|message| message.as_string()),
                    Err(_) => Some(
                        "The payment could not be sent. Check your connection and try again."
                            .to_owned(),
                    ),
                };
                if let Some(message) = message {
                    problem.set(Some(message));
                    busy.set(false);
                }
            });
        }
    }
}
