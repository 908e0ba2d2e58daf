//! `/manage/inventory`: the stock list, and a variant's figures, ledger and adjustment form.

use super::api::{AdjustStock, fetch_variant_stock, list_stock};
use super::{AdjustmentReason, StockFilter, StockList, StockRow, VariantStock};
use crate::components::{ErrorPanel, FormFeedback};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

const INPUT: &str = "mt-1 rounded-md border border-stone-300 px-3 py-2";
const BUTTON: &str = "rounded-md bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700";

/// `/manage/inventory`: every variant's stock, searchable, filtered to what runs low.
#[component]
pub fn StockPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q");
    let show = move || StockFilter::parse(query.read().get("show").as_deref());
    let after = move || {
        query
            .read()
            .get("after")
            .and_then(|a| a.parse::<i64>().ok())
    };
    let list = Resource::new(
        move || (q(), show(), after()),
        |(q, show, after)| list_stock(q, Some(show.name().to_owned()), after),
    );
    view! {
        <Title text="Stock" />
        <h1 class="text-3xl font-semibold text-stone-900">"Stock"</h1>
        <form method="get" action="/manage/inventory" role="search" aria-label="Search stock" class="mt-4 flex flex-wrap items-end gap-3">
            <div>
                <label for="stock-search" class="block text-sm font-medium text-stone-900">"Product or SKU"</label>
                <input id="stock-search" name="q" type="search" value=q class=format!("{INPUT} w-64") />
            </div>
            <div>
                <label for="stock-show" class="block text-sm font-medium text-stone-900">"Show"</label>
                <select id="stock-show" name="show" class=INPUT>
                    {StockFilter::ALL.into_iter().map(|filter| view! {
                        <option value=filter.name() selected=filter == show()>{filter.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class=BUTTON>"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading stock…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <StockTable list q=q() show=show() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn state_badge(row: &StockRow) -> impl IntoView + use<> {
    let state = row.state();
    let tone = match state {
        super::StockState::InStock => "text-green-900",
        super::StockState::Low => "text-amber-900",
        super::StockState::Out => "text-red-900",
    };
    view! { <span class=format!("font-medium {tone}")>{state.label()}</span> }
}

#[component]
fn StockTable(list: StockList, q: Option<String>, show: StockFilter) -> impl IntoView {
    let next = list.next.map(|after| {
        let mut params = vec![("after".to_owned(), after.to_string())];
        params.extend(q.map(|q| ("q".to_owned(), q)));
        params.push(("show".to_owned(), show.name().to_owned()));
        format!(
            "/manage/inventory{}",
            ParamsMap::from_iter(params).to_query_string()
        )
    });
    view! {
        {list.rows.is_empty().then(|| view! { <p class="mt-6 text-stone-700">"No variants match."</p> })}
        <div class="mt-6 overflow-x-auto">
            <table class="w-full text-left text-sm">
                <caption class="sr-only">"Stock by variant"</caption>
                <thead class="border-b border-stone-300 text-stone-600">
                    <tr>
                        <th scope="col" class="py-2">"Product"</th>
                        <th scope="col">"SKU"</th>
                        <th scope="col" class="text-right">"On hand"</th>
                        <th scope="col" class="text-right">"Reserved"</th>
                        <th scope="col" class="text-right">"Available"</th>
                        <th scope="col" class="pl-4">"State"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-stone-200">
                    {list.rows.into_iter().map(|row| view! {
                        <tr data-testid="stock-row">
                            <td class="py-2">
                                <a class="font-medium underline" rel="external" href=format!("/manage/inventory/{}", row.variant_id)>
                                    {row.product_name.clone()}
                                </a>
                                <span class="text-stone-600">{format!(" · {}", row.variant_title)}</span>
                            </td>
                            <td><code>{row.sku.clone()}</code></td>
                            <td class="text-right tabular-nums">{row.on_hand}</td>
                            <td class="text-right tabular-nums">{row.reserved}</td>
                            <td class="text-right tabular-nums">{row.available()}</td>
                            <td class="pl-4">{state_badge(&row)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {next.map(|href| view! { <a class="mt-4 inline-block underline" href=href>"Next page"</a> })}
    }
}

/// `/manage/inventory/{variant_id}`
#[component]
pub fn VariantStockPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("variant_id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let adjust = ServerAction::<AdjustStock>::new();
    let stock = Resource::new(id, fetch_variant_stock);
    view! {
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match stock.await {
                    Ok(stock) => view! { <VariantStockView stock adjust /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn VariantStockView(stock: VariantStock, adjust: ServerAction<AdjustStock>) -> impl IntoView {
    let row = stock.row.clone();
    view! {
        <Title text=format!("Stock: {}", row.sku) />
        <a class="text-sm underline" href="/manage/inventory">"All stock"</a>
        <h1 class="mt-2 text-3xl font-semibold text-stone-900">{row.product_name.clone()}</h1>
        <p class="text-stone-700">
            {row.variant_title.clone()} " · " <code>{row.sku.clone()}</code> " · "
            <a class="underline" href=format!("/p/{}", row.product_slug)>"View in the shop"</a>
        </p>
        <dl class="mt-4 grid grid-cols-[9rem_1fr] gap-y-1 text-sm" aria-label="Stock figures">
            <dt class="text-stone-600">"On hand"</dt><dd data-testid="on-hand" class="tabular-nums">{row.on_hand}</dd>
            <dt class="text-stone-600">"Reserved"</dt><dd class="tabular-nums">{row.reserved}</dd>
            <dt class="text-stone-600">"Available"</dt><dd data-testid="available" class="tabular-nums">{row.available()}</dd>
            <dt class="text-stone-600">"Low at"</dt><dd class="tabular-nums">{row.low_stock_threshold}</dd>
            <dt class="text-stone-600">"State"</dt><dd>{state_badge(&row)}</dd>
        </dl>
        {stock.can_adjust.then(|| view! {
            <section class="mt-8 max-w-xl" aria-labelledby="adjust-stock">
                <h2 id="adjust-stock" class="text-xl font-semibold text-stone-900">"Adjust stock"</h2>
                <p class="mt-1 text-sm text-stone-700">
                    "Enter the change, not the new total: 12 for twelve received, -3 for three damaged. "
                    "It adds to what is on hand when it is saved, so it never undoes a sale made meanwhile."
                </p>
                <ActionForm action=adjust attr:class="mt-3 flex flex-wrap items-end gap-3" attr:aria-label="Adjust stock">
                    <input type="hidden" name="variant_id" value=row.variant_id />
                    <div>
                        <label for="adjust-delta" class="block text-sm font-medium text-stone-900">"Change"</label>
                        <input id="adjust-delta" name="delta" type="number" step="1" required
                            min=-super::MAX_CHANGE max=super::MAX_CHANGE class=format!("{INPUT} w-28") />
                    </div>
                    <div>
                        <label for="adjust-reason" class="block text-sm font-medium text-stone-900">"Reason"</label>
                        <select id="adjust-reason" name="reason" required class=INPUT>
                            {AdjustmentReason::ALL.into_iter().map(|reason| view! {
                                <option value=reason.name()>{reason.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="min-w-48 flex-1">
                        <label for="adjust-note" class="block text-sm font-medium text-stone-900">"Note (optional)"</label>
                        <input id="adjust-note" name="note" type="text" maxlength=super::MAX_NOTE class=format!("{INPUT} w-full") />
                    </div>
                    <button type="submit" class=BUTTON>"Save change"</button>
                </ActionForm>
                <FormFeedback action=adjust success="Stock changed." />
            </section>
        })}
        <section class="mt-10" aria-labelledby="stock-ledger">
            <h2 id="stock-ledger" class="text-xl font-semibold text-stone-900">"Ledger"</h2>
            {stock.ledger.is_empty().then(|| view! { <p class="mt-2 text-stone-700">"No movements yet."</p> })}
            <div class="mt-2 overflow-x-auto">
                <table class="w-full text-left text-sm">
                    <caption class="sr-only">"Stock movements, newest first"</caption>
                    <thead class="border-b border-stone-300 text-stone-600">
                        <tr>
                            <th scope="col" class="py-2">"When"</th>
                            <th scope="col" class="text-right">"Change"</th>
                            <th scope="col" class="pl-4">"Reason"</th>
                            <th scope="col">"Note"</th>
                            <th scope="col">"By"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-stone-200">
                        {stock.ledger.into_iter().map(|entry| view! {
                            <tr data-testid="ledger-row">
                                <td class="py-2 whitespace-nowrap">{entry.at}</td>
                                <td class="text-right tabular-nums">{format!("{:+}", entry.delta)}</td>
                                <td class="pl-4">{entry.reason}</td>
                                <td>{entry.note}</td>
                                <td>{match (entry.actor, entry.order_number) {
                                    (Some(actor), _) => actor,
                                    (None, Some(order)) => format!("Order {order}"),
                                    (None, None) => "The shop".to_owned(),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {stock.ledger_truncated.then(|| view! {
                <p class="mt-2 text-sm text-stone-600">{format!("The newest {} movements.", super::LEDGER_ROWS)}</p>
            })}
        </section>
    }
}
