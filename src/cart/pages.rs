//! The cart page and the add-to-cart form. Every form posts and redirects back; with JavaScript
//! the page it comes back to is patched in place (src/navigation.js).

use super::CartView;
use super::api::{AddToCart, RemoveCartLine, UpdateCartLine, fetch_cart};
use crate::catalog::{Availability, VariantView};
use crate::components::{ErrorPanel, FormFeedback};
use leptos::prelude::*;
use leptos_meta::Title;

/// Choose a variant and a quantity, and add them to the cart.
#[component]
pub fn AddToCartForm(variants: Vec<VariantView>, option_name: Option<String>) -> impl IntoView {
    let add = ServerAction::<AddToCart>::new();
    let first_available = variants
        .iter()
        .find(|v| v.availability != Availability::SoldOut)
        .map(|v| v.id);
    let max = variants
        .iter()
        .map(|v| v.availability.most_to_choose())
        .max()
        .unwrap_or(0);
    let sold_out = first_available.is_none();
    let choices = if variants.len() == 1 {
        let only = variants[0].id;
        view! { <input type="hidden" name="variant_id" value=only /> }.into_any()
    } else {
        view! {
            <fieldset class="mt-4">
                <legend class="text-sm font-medium text-stone-900">{option_name.unwrap_or_else(|| "Option".into())}</legend>
                <div class="mt-2 flex flex-wrap gap-2">
                    {variants.into_iter().map(|variant| {
                        let id = format!("variant-{}", variant.id);
                        let badge = variant.availability.label();
                        view! {
                            <label class="flex cursor-pointer items-center gap-2 rounded-md border border-stone-300 px-3 py-2 text-sm has-checked:border-stone-900 has-checked:bg-stone-100 has-disabled:cursor-not-allowed has-disabled:opacity-50">
                                <input id=id type="radio" name="variant_id" value=variant.id required
                                    checked=Some(variant.id) == first_available disabled=variant.availability == Availability::SoldOut />
                                <span class="font-medium">{variant.title.clone()}</span>
                                <span>{variant.price.to_string()}</span>
                                {badge.map(|b| view! { <span class="text-stone-600">"(" {b} ")"</span> })}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
        }
        .into_any()
    };
    view! {
        <ActionForm action=add attr:class="mt-6" attr:aria-label="Add to cart">
            {choices}
            <div class="mt-4 flex items-end gap-3">
                <label class="flex flex-col text-sm font-medium text-stone-900">
                    "Quantity"
                    <input name="quantity" type="number" inputmode="numeric" min="1" max=max.max(1) value="1" required
                        class="mt-1 w-20 rounded-md border border-stone-300 px-2 py-2" />
                </label>
                <button type="submit" disabled=sold_out
                    class="rounded-md bg-stone-900 px-6 py-2.5 font-medium text-white hover:bg-stone-700 disabled:cursor-not-allowed disabled:bg-stone-400">
                    {if sold_out { "Out of stock" } else { "Add to cart" }}
                </button>
            </div>
        </ActionForm>
        <FormFeedback action=add success="Added to your cart." success_link=("View cart", "/cart") />
    }
}

#[derive(Clone, Copy)]
struct CartLineActions {
    update: ServerAction<UpdateCartLine>,
    remove: ServerAction<RemoveCartLine>,
}

/// `/cart`: the lines, their totals and the subtotal, each quantity changeable.
#[component]
pub fn CartPage() -> impl IntoView {
    let actions = CartLineActions {
        update: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let cart = Resource::new(|| (), |()| fetch_cart());
    view! {
        <Title text="Your cart" />
        <div class="mx-auto max-w-4xl px-4 py-8">
            <h1 class="text-3xl font-semibold text-stone-900">"Your cart"</h1>
            <FormFeedback action=actions.update success="Cart updated." />
            <FormFeedback action=actions.remove success="Removed from your cart." />
            <Transition fallback=|| view! { <p class="py-8 text-stone-600">"Loading your cart…"</p> }>
                {move || Suspend::new(async move {
                    match cart.await {
                        Ok(cart) => view! { <CartLines cart actions /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn CartLines(cart: CartView, actions: CartLineActions) -> impl IntoView {
    if cart.lines.is_empty() {
        return view! {
            <section class="py-12 text-center">
                <h2 class="text-xl font-semibold text-stone-900">"Your cart is empty"</h2>
                <p class="mt-2 text-stone-700"><a class="underline" href="/products">"Browse the shop"</a>" to find something you like."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <ul class="mt-6 divide-y divide-stone-200 border-y border-stone-200" aria-label="Cart lines">
            {cart.lines.into_iter().map(|line| {
                let label = match &line.variant_title {
                    Some(title) => format!("{} ({title})", line.product_name),
                    None => line.product_name.clone(),
                };
                let quantity_label = format!("Quantity of {label}");
                let short = (line.available < line.quantity).then(|| format!("Only {} left now; please lower the quantity.", line.available));
                view! {
                    <li class="flex flex-wrap items-center gap-4 py-4" data-testid="cart-line">
                        <div class="h-20 w-20 overflow-hidden rounded-md bg-stone-100">
                            {line.image.clone().map(|image| view! { <img src=image.url srcset=image.srcset sizes="80px" alt=image.alt width="80" height="80" class="h-full w-full object-cover" /> })}
                        </div>
                        <div class="min-w-48 flex-1">
                            <a class="font-medium text-stone-900 hover:underline" href=format!("/p/{}", line.product_slug)>{line.product_name.clone()}</a>
                            {line.variant_title.clone().map(|title| view! { <p class="text-sm text-stone-600">{title}</p> })}
                            <p class="text-sm text-stone-700">{line.unit_price.to_string()} " each"</p>
                            {short.map(|text| view! { <p role="alert" class="text-sm text-red-800">{text}</p> })}
                        </div>
                        <ActionForm action=actions.update attr:class="flex items-end gap-2">
                            <input type="hidden" name="variant_id" value=line.variant_id />
                            <label class="flex flex-col text-sm text-stone-700">
                                <span class="sr-only">{quantity_label}</span>
                                <input name="quantity" type="number" inputmode="numeric" min="0" max=super::MAX_QUANTITY value=line.quantity
                                    class="w-20 rounded-md border border-stone-300 px-2 py-1.5" />
                            </label>
                            <button type="submit" class="rounded-md border border-stone-300 px-3 py-1.5 text-sm hover:bg-stone-100">"Update"</button>
                        </ActionForm>
                        <p class="w-24 text-right font-medium text-stone-900" data-testid="line-total">{line.line_total.to_string()}</p>
                        <ActionForm action=actions.remove>
                            <input type="hidden" name="variant_id" value=line.variant_id />
                            <button type="submit" class="text-sm text-stone-700 underline hover:text-stone-900" aria-label=format!("Remove {label}")>"Remove"</button>
                        </ActionForm>
                    </li>
                }
            }).collect_view()}
        </ul>
        <div class="mt-6 flex items-center justify-between">
            <a class="underline" href="/products">"Continue shopping"</a>
            <p class="text-lg">"Subtotal: " <strong data-testid="subtotal">{cart.subtotal.to_string()}</strong></p>
        </div>
        <div class="mt-6 text-right">
            <a class="inline-block rounded-md bg-stone-900 px-6 py-3 font-medium text-white hover:bg-stone-700" href="/checkout">"Go to checkout"</a>
        </div>
    }
    .into_any()
}
