//! `/checkout`: two plain forms. The first (a GET, so it works without JavaScript and is patched in
//! place with it) chooses the country, the delivery method and a promo code and prices the order;
//! the second places it, with the email and addresses.

use super::api::{PlaceOrder, fetch_checkout};
use super::{CheckoutChoices, CheckoutView, Totals};
use crate::components::{ErrorPanel, Field, FormFeedback};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let query = use_query_map();
    let choices = Memo::new(move |_| {
        let query = query.read();
        CheckoutChoices {
            country: query.get("country"),
            shipping: query.get("shipping"),
            promo: query.get("promo"),
        }
    });
    let checkout = Resource::new(move || choices.get(), fetch_checkout);
    let place = ServerAction::<PlaceOrder>::new();
    view! {
        <Title text="Checkout" />
        <div class="mx-auto max-w-5xl px-4 py-8">
            <h1 class="text-3xl font-semibold text-stone-900">"Checkout"</h1>
            <FormFeedback action=place />
            <Suspense fallback=|| view! { <p class="py-8 text-stone-600">"Loading checkout…"</p> }>
                {move || Suspend::new(async move {
                    match checkout.await {
                        Ok(checkout) if checkout.lines.is_empty() => view! { <EmptyCart /> }.into_any(),
                        Ok(checkout) => {
                            let typed_promo = choices.get_untracked().promo;
                            view! { <CheckoutSections checkout place typed_promo /> }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn EmptyCart() -> impl IntoView {
    view! {
        <section class="py-12 text-center">
            <h2 class="text-xl font-semibold text-stone-900">"Your cart is empty"</h2>
            <p class="mt-2 text-stone-700"><a class="underline" href="/products">"Browse the shop"</a>" to find something you like."</p>
        </section>
    }
}

#[component]
fn CheckoutSections(
    checkout: CheckoutView,
    place: ServerAction<PlaceOrder>,
    /// The promo code as typed, kept in the field when it does not apply so it can be corrected.
    typed_promo: Option<String>,
) -> impl IntoView {
    let country_name = checkout
        .countries
        .iter()
        .find(|c| c.code == checkout.country)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let new_address_required = checkout.saved_addresses.is_empty();
    let summary = checkout.clone();
    let short: Vec<String> = checkout
        .lines
        .iter()
        .filter(|line| line.available < line.quantity)
        .map(|line| match line.available {
            0 => format!("{} is sold out.", line.product_name),
            n => format!("Only {n} left of {}.", line.product_name),
        })
        .collect();
    view! {
        <div class="mt-6 grid gap-10 lg:grid-cols-[1fr_22rem]">
            <div>
                {(!short.is_empty()).then(|| view! {
                    <div role="alert" class="mb-6 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
                        {short.join(" ")} " " <a class="font-medium underline" href="/cart">"Change your cart"</a>
                    </div>
                })}
                <section aria-labelledby="delivery-heading">
                    <h2 id="delivery-heading" class="text-xl font-semibold text-stone-900">"Delivery"</h2>
                    <form method="get" action="/checkout" aria-label="Delivery and promo code" class="mt-2">
                        <label for="checkout-country" class="mt-4 block text-sm font-medium text-stone-900">"Country"</label>
                        <select id="checkout-country" name="country" class="mt-1 w-full rounded-md border border-stone-300 px-3 py-2">
                            {checkout.countries.iter().map(|c| view! {
                                <option value=c.code.clone() selected=c.code == checkout.country>{c.name.clone()}</option>
                            }).collect_view()}
                        </select>
                        <fieldset class="mt-4">
                            <legend class="text-sm font-medium text-stone-900">"Delivery method"</legend>
                            {checkout.shipping_options.iter().map(|option| {
                                let price = if option.price.minor == 0 { "Free".to_owned() } else { option.price.to_string() };
                                view! {
                                    <label class="mt-2 flex items-center gap-2">
                                        <input type="radio" name="shipping" value=option.code.clone() checked=option.code == checkout.shipping />
                                        <span>{option.name.clone()}</span>
                                        <span class="ml-auto font-medium">{price}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                        <label for="checkout-promo" class="mt-4 block text-sm font-medium text-stone-900">"Promo code"</label>
                        <input id="checkout-promo" name="promo" type="text" autocomplete="off" value=checkout.promo.clone().or(typed_promo)
                            aria-describedby=checkout.promo_problem.as_ref().map(|_| "promo-problem")
                            class="mt-1 w-full rounded-md border border-stone-300 px-3 py-2 uppercase" />
                        {checkout.promo_problem.clone().map(|problem| view! {
                            <p id="promo-problem" role="alert" class="mt-1 text-sm text-red-800">{problem}</p>
                        })}
                        {checkout.promo.clone().map(|code| view! {
                            <p role="status" class="mt-1 text-sm text-green-900">{format!("Code {code} applied.")}</p>
                        })}
                        <button type="submit" class="mt-4 rounded-md border border-stone-300 px-4 py-2 text-sm font-medium hover:bg-stone-100">"Update totals"</button>
                    </form>
                </section>

                <section aria-labelledby="details-heading" class="mt-10 border-t border-stone-200 pt-6">
                    <h2 id="details-heading" class="text-xl font-semibold text-stone-900">"Your details"</h2>
                    <ActionForm action=place attr:aria-label="Place your order">
                        <input type="hidden" name="checkout[checkout_key]" value=checkout.checkout_key.clone() />
                        <input type="hidden" name="checkout[country]" value=checkout.country.clone() />
                        <input type="hidden" name="checkout[shipping]" value=checkout.shipping.clone() />
                        <input type="hidden" name="checkout[promo]" value=checkout.promo.clone().unwrap_or_default() />
                        <input type="hidden" name="checkout[seen_total]" value=checkout.totals.total.minor />
                        <Field label="Email" name="checkout[email]" kind="email" autocomplete="email" value=checkout.email.clone().unwrap_or_default()
                            hint="For your receipt and news of your order." />
                        <fieldset class="mt-6">
                            <legend class="text-base font-semibold text-stone-900">"Delivery address in " {country_name.clone()}</legend>
                            {(!checkout.saved_addresses.is_empty()).then(|| view! {
                                <div class="mt-2">
                                    {checkout.saved_addresses.iter().enumerate().map(|(n, address)| {
                                        let text = format!("{}, {}, {} {}", address.full_name, address.line1, address.postal_code, address.city);
                                        view! {
                                            <label class="mt-2 flex items-center gap-2">
                                                <input type="radio" name="checkout[saved_address]" value=address.id checked=n == 0 />
                                                <span>{text}</span>
                                            </label>
                                        }
                                    }).collect_view()}
                                    <label class="mt-2 flex items-center gap-2">
                                        <input type="radio" name="checkout[saved_address]" value="new" />
                                        <span>"A new address, below"</span>
                                    </label>
                                </div>
                            })}
                            <Field label="Full name" name="checkout[shipping_address][full_name]" autocomplete="shipping name" required=new_address_required />
                            <Field label="Address" name="checkout[shipping_address][line1]" autocomplete="shipping address-line1" required=new_address_required />
                            <Field label="Second address line" name="checkout[shipping_address][line2]" autocomplete="shipping address-line2" required=false />
                            <Field label="Postal code" name="checkout[shipping_address][postal_code]" autocomplete="shipping postal-code" required=new_address_required />
                            <Field label="City" name="checkout[shipping_address][city]" autocomplete="shipping address-level2" required=new_address_required />
                            <Field label="Region" name="checkout[shipping_address][region]" autocomplete="shipping address-level1" required=false />
                            <Field label="Phone" name="checkout[shipping_address][phone]" kind="tel" autocomplete="shipping tel" required=false
                                hint="Only for the courier, if they need to reach you." />
                            {checkout.signed_in.then(|| view! {
                                <label class="mt-4 block"><input type="checkbox" name="checkout[save_address]" value="on" /> " Save this address to my account"</label>
                            })}
                        </fieldset>
                        <fieldset class="mt-6">
                            <legend class="text-base font-semibold text-stone-900">"Billing address"</legend>
                            <label class="mt-2 block"><input type="checkbox" name="checkout[billing_same]" value="on" checked /> " Same as the delivery address"</label>
                            <details class="mt-2">
                                <summary class="cursor-pointer text-sm font-medium text-stone-900 underline">"A different billing address (untick the box above)"</summary>
                                <Field label="Billing full name" name="checkout[billing_address][full_name]" autocomplete="billing name" required=false />
                                <Field label="Billing address" name="checkout[billing_address][line1]" autocomplete="billing address-line1" required=false />
                                <Field label="Billing second address line" name="checkout[billing_address][line2]" autocomplete="billing address-line2" required=false />
                                <Field label="Billing postal code" name="checkout[billing_address][postal_code]" autocomplete="billing postal-code" required=false />
                                <Field label="Billing city" name="checkout[billing_address][city]" autocomplete="billing address-level2" required=false />
                                <Field label="Billing region" name="checkout[billing_address][region]" autocomplete="billing address-level1" required=false />
                                <Field label="Billing country code" name="checkout[billing_country]" autocomplete="billing country" required=false
                                    value=checkout.country.clone() hint="Two letters, such as DE or FR." />
                            </details>
                        </fieldset>
                        <button type="submit" class="mt-8 w-full rounded-md bg-stone-900 px-6 py-3 text-lg font-medium text-white hover:bg-stone-700">
                            "Place order, " {checkout.totals.total.to_string()}
                        </button>
                        <p class="mt-2 text-sm text-stone-600">"Your items are held for you while you pay, on the next page."</p>
                    </ActionForm>
                </section>
            </div>
            <OrderSummary checkout=summary />
        </div>
    }
}

#[component]
fn OrderSummary(checkout: CheckoutView) -> impl IntoView {
    view! {
        <aside aria-labelledby="summary-heading" class="h-fit rounded-lg border border-stone-200 bg-stone-50 p-5">
            <h2 id="summary-heading" class="text-lg font-semibold text-stone-900">"Order summary"</h2>
            <ul class="mt-3 divide-y divide-stone-200" aria-label="Items">
                {checkout.lines.into_iter().map(|line| {
                    let name = match line.variant_title {
                        Some(title) => format!("{} ({title})", line.product_name),
                        None => line.product_name,
                    };
                    view! {
                        <li class="flex justify-between gap-3 py-2 text-sm">
                            <span>{name} " × " {line.quantity}</span>
                            <span class="font-medium">{line.line_total.to_string()}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <TotalsTable totals=checkout.totals prices_include_tax=checkout.prices_include_tax tax_rate=checkout.tax_rate promo=checkout.promo />
            <p class="mt-3 text-sm"><a class="underline" href="/cart">"Change your cart"</a></p>
        </aside>
    }
}

/// Subtotal, discount, delivery, tax and total, as the checkout and the order page show them.
#[component]
pub fn TotalsTable(
    totals: Totals,
    prices_include_tax: bool,
    tax_rate: String,
    promo: Option<String>,
) -> impl IntoView {
    let tax_label = if prices_include_tax {
        format!("Including tax ({tax_rate})")
    } else {
        format!("Tax ({tax_rate})")
    };
    let shipping = if totals.shipping.minor == 0 {
        "Free".to_owned()
    } else {
        totals.shipping.to_string()
    };
    view! {
        <dl class="mt-3 space-y-1 border-t border-stone-200 pt-3 text-sm" data-testid="totals">
            <div class="flex justify-between"><dt>"Subtotal"</dt><dd>{totals.subtotal.to_string()}</dd></div>
            {(totals.discount.minor > 0).then(|| view! {
                <div class="flex justify-between text-green-900">
                    <dt>"Discount" {promo.map(|code| format!(" ({code})"))}</dt>
                    <dd>"−" {totals.discount.to_string()}</dd>
                </div>
            })}
            <div class="flex justify-between"><dt>"Delivery"</dt><dd>{shipping}</dd></div>
            <div class="flex justify-between text-stone-700"><dt>{tax_label}</dt><dd>{totals.tax.to_string()}</dd></div>
            <div class="flex justify-between border-t border-stone-200 pt-2 text-base font-semibold">
                <dt>"Total"</dt><dd data-testid="total">{totals.total.to_string()}</dd>
            </div>
        </dl>
    }
}
