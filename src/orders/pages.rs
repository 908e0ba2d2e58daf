//! `/orders/{number}`: one order, for the account that placed it or whoever holds its link.

use super::api::{fetch_order, list_orders, start_payment};
use super::payment_form::PaymentForm;
use super::{OrderStatus, OrderView, OrdersPage};
use crate::checkout::PostalAddress;
use crate::checkout::pages::TotalsTable;
use crate::components::{ErrorPanel, NotFound};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || query.read().get("key");
    let order = Resource::new(
        move || (params.read().get("number").unwrap_or_default(), key()),
        |(number, key)| fetch_order(number, key),
    );
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-4xl px-4 py-8 text-stone-600">"Loading your order…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(order) => {
                        let returned = query.read_untracked().get("redirect_status");
                        view! { <OrderDetails order key=key() returned /> }.into_any()
                    }
                    Err(AppError::NotFound(_)) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// "2026-12-01 14:05 UTC" from an RFC 3339 time in UTC.
fn readable(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

#[component]
fn OrderDetails(
    order: OrderView,
    key: Option<String>,
    /// Where the payment provider sent the shopper back from: `succeeded` or `failed`.
    returned: Option<String>,
) -> impl IntoView {
    let title = format!("Order {}", order.number);
    let awaiting = order.status == OrderStatus::PendingPayment;
    let settling = awaiting
        && (order
            .payment
            .as_ref()
            .is_some_and(super::PaymentState::settling)
            || returned.as_deref() == Some("succeeded"));
    let failure = order
        .payment
        .as_ref()
        .filter(|payment| payment.status == "requires_payment_method")
        .and_then(|payment| payment.last_error.clone());
    let number = order.number.clone();
    view! {
        <Title text=title.clone() />
        <div class="mx-auto max-w-4xl px-4 py-8">
            <h1 class="text-3xl font-semibold text-stone-900">{title}</h1>
            <p class="mt-2 text-stone-700">
                "Placed " {readable(&order.placed_at)} " · " <span data-testid="order-status" class="font-semibold">{order.status.label()}</span>
            </p>
            {(order.status == OrderStatus::Paid).then(|| view! {
                <section role="status" class="mt-6 rounded-lg border border-green-200 bg-green-50 p-4 text-green-950">
                    <h2 class="font-semibold">"Thank you: your payment is received"</h2>
                    <p class="mt-1">{format!("We are preparing your order and have sent a confirmation to {}.", order.email)}</p>
                </section>
            })}
            {settling.then(|| view! {
                <Meta name="refresh-in-place" content="2" />
                <noscript><meta http-equiv="refresh" content="3" /></noscript>
                <section role="status" class="mt-6 rounded-lg border border-sky-200 bg-sky-50 p-4 text-sky-950">
                    <h2 class="font-semibold">"Confirming your payment…"</h2>
                    <p class="mt-1">"Your bank has accepted it; this page shows the confirmation as soon as it arrives."</p>
                </section>
            })}
            {(awaiting && !settling).then(|| view! {
                <section class="mt-6 rounded-lg border border-amber-200 bg-amber-50 p-4 text-amber-950">
                    <h2 class="font-semibold">"Your items are held for you"</h2>
                    {order.reserved_until.clone().map(|until| view! {
                        <p class="mt-1">"We keep them until " {readable(&until)} ". An order not paid by then is cancelled and its items go back on sale."</p>
                    })}
                    <p class="mt-1">"Keep the address of this page: it is your link to this order."</p>
                </section>
                <PaySection number=number.clone() key=key.clone() failure=failure.clone() />
            })}
            <div class="mt-8 grid gap-8 md:grid-cols-[1fr_20rem]">
                <section aria-labelledby="items-heading">
                    <h2 id="items-heading" class="text-xl font-semibold text-stone-900">"Items"</h2>
                    <ul class="mt-3 divide-y divide-stone-200 border-y border-stone-200" aria-label="Order lines">
                        {order.lines.into_iter().map(|line| view! {
                            <li class="flex flex-wrap justify-between gap-2 py-3" data-testid="order-line">
                                <div>
                                    <p class="font-medium text-stone-900">{line.product_name}</p>
                                    {line.variant_title.map(|title| view! { <p class="text-sm text-stone-600">{title}</p> })}
                                    <p class="text-sm text-stone-600">"SKU " {line.sku} " · " {line.unit_price.to_string()} " × " {line.quantity}</p>
                                </div>
                                <p class="font-medium">{line.line_total.to_string()}</p>
                            </li>
                        }).collect_view()}
                    </ul>
                    <TotalsTable totals=order.totals prices_include_tax=order.prices_include_tax tax_rate=order.tax_rate promo=order.promo_code />
                </section>
                <div class="space-y-6">
                    <Address title="Delivery" address=order.shipping_address detail=Some(order.shipping_method) />
                    <Address title="Billing" address=order.billing_address detail=None />
                    <section aria-labelledby="contact-heading">
                        <h2 id="contact-heading" class="font-semibold text-stone-900">"Contact"</h2>
                        <p class="mt-1 text-stone-700">{order.email}</p>
                    </section>
                </div>
            </div>
            <section aria-labelledby="history-heading" class="mt-10 border-t border-stone-200 pt-6">
                <h2 id="history-heading" class="text-xl font-semibold text-stone-900">"History"</h2>
                <ol class="mt-3 space-y-2" aria-label="Status history">
                    {order.history.into_iter().map(|change| view! {
                        <li class="text-sm">
                            <span class="font-medium">{change.status.label()}</span>
                            " · " {readable(&change.at)}
                            {(!change.note.is_empty()).then(|| view! { <span class="text-stone-700">" · " {change.note}</span> })}
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        </div>
    }
}

/// The card form, for an order awaiting payment. Its page is always loaded whole, never patched
/// in place: Stripe.js must run from a fresh page.
#[component]
fn PaySection(
    number: String,
    key: Option<String>,
    /// The last attempt's failure as the webhook recorded it.
    failure: Option<String>,
) -> impl IntoView {
    let step = Resource::new(|| (), move |()| start_payment(number.clone(), key.clone()));
    view! {
        <section aria-labelledby="pay-heading" class="mt-8 max-w-xl">
            <h2 id="pay-heading" class="text-xl font-semibold text-stone-900">"Pay by card"</h2>
            <Suspense fallback=|| view! { <p class="mt-2 text-stone-600">"Preparing the payment…"</p> }>
                {move || {
                    let failure = failure.clone();
                    Suspend::new(async move {
                    match step.await {
                        Ok(step) => {
                            #[cfg(feature = "ssr")]
                            crate::server::http::allow_payment_provider_on_this_page();
                            let failure = step.last_error.clone().or_else(|| failure.clone());
                            view! {
                                {failure.map(|failure| view! {
                                    <p role="alert" class="mt-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
                                        {format!("Your last payment did not go through: {failure} Please try again.")}
                                    </p>
                                })}
                                <Meta name="navigation" content="full-load" />
                                <script src=step.js_url.clone()></script>
                                <PaymentForm step />
                            }
                            .into_any()
                        }
                        Err(error) => view! { <p role="alert" class="mt-2 text-red-800">{error.to_string()}</p> }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
}

#[component]
fn Address(title: &'static str, address: PostalAddress, detail: Option<String>) -> impl IntoView {
    let heading = format!("{}-heading", title.to_lowercase());
    let labelled_by = heading.clone();
    view! {
        <section aria-labelledby=labelled_by>
            <h2 id=heading class="font-semibold text-stone-900">{title}</h2>
            <address class="mt-1 not-italic text-stone-700">
                {address.lines().into_iter().map(|line| view! { <span class="block">{line}</span> }).collect_view()}
            </address>
            {detail.map(|detail| view! { <p class="mt-1 text-sm text-stone-600">{detail}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_date_hour_and_minute() {
        assert_eq!(
            super::readable("2026-12-01T14:05:09.123+00:00"),
            "2026-12-01 14:05 UTC"
        );
        assert_eq!(super::readable("soon"), "soon");
    }
}

/// `/account/orders`: the signed-in shopper's orders, newest first.
#[component]
pub fn AccountOrdersPage() -> impl IntoView {
    let query = use_query_map();
    let orders = Resource::new(move || query.read().get("after"), list_orders);
    view! {
        <Title text="Your orders" />
        <div class="mx-auto max-w-3xl px-4 py-8">
            <h1 class="text-3xl font-semibold text-stone-900">"Your orders"</h1>
            <Suspense fallback=|| view! { <p class="py-8 text-stone-600">"Loading your orders…"</p> }>
                {move || Suspend::new(async move {
                    match orders.await {
                        Ok(page) => view! { <OrderList page /> }.into_any(),
                        Err(error) => crate::accounts::pages::signed_in_or_error(error),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn OrderList(page: OrdersPage) -> impl IntoView {
    if page.orders.is_empty() {
        return view! {
            <p class="mt-6 text-stone-700">"No orders here yet. " <a class="underline" href="/products">"Browse the shop"</a></p>
        }
        .into_any();
    }
    view! {
        <ul class="mt-6 divide-y divide-stone-200 border-y border-stone-200" aria-label="Orders">
            {page.orders.into_iter().map(|order| {
                let items = if order.item_count == 1 { "1 item".to_owned() } else { format!("{} items", order.item_count) };
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2 py-4" data-testid="order-summary">
                        <div>
                            <a class="font-medium text-stone-900 underline" href=format!("/orders/{}", order.number)>{order.number.clone()}</a>
                            <p class="text-sm text-stone-600">{format!("{} · {items}", readable(&order.placed_at))}</p>
                        </div>
                        <p class="text-sm font-medium">{order.status.label()}</p>
                        <p class="font-medium">{order.total.to_string()}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
        {page.next.map(|next| view! {
            <p class="mt-6"><a class="underline" href=format!("/account/orders?after={next}")>"Older orders"</a></p>
        })}
    }
    .into_any()
}
