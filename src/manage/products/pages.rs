//! `/manage/products`: the products table, its filters and the actions on selected rows.

use super::api::{UpdateProducts, fetch_product_table};
use super::{
    CategoryChoice, ProductFilters, ProductSort, ProductStatus, ProductStock, ProductTable,
};
use crate::components::{ErrorPanel, FormFeedback};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const INPUT: &str = "mt-1 rounded-md border border-stone-300 px-3 py-2";
const BUTTON: &str = "rounded-md bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700";

fn category_options(categories: &[CategoryChoice], selected: Option<&str>) -> impl IntoView {
    categories
        .iter()
        .map(|choice| {
            let label = format!("{}{}", "— ".repeat(choice.depth), choice.name);
            let chosen = selected == Some(choice.slug.as_str());
            view! { <option value=choice.slug.clone() selected=chosen>{label}</option> }
        })
        .collect_view()
}

/// `/manage/products`
#[component]
pub fn ProductsTablePage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        let query = query.read();
        ProductFilters {
            q: query.get("q"),
            category: query.get("category"),
            status: query.get("status"),
            stock: query.get("stock"),
            sort: query.get("sort"),
            after: query.get("after").and_then(|a| a.parse().ok()),
        }
    };
    let update = ServerAction::<UpdateProducts>::new();
    let table = Resource::new(filters, fetch_product_table);
    view! {
        <Title text="Products" />
        <div class="flex items-center justify-between gap-4">
            <h1 class="text-3xl font-semibold text-stone-900">"Products"</h1>
            <div class="flex gap-2">
                <a class="rounded-md border border-stone-300 px-3 py-2 text-sm font-medium hover:bg-stone-100"
                    href=super::csv::ExportProducts::PATH download="products.csv">"Export CSV"</a>
                <a class="rounded-md border border-stone-300 px-3 py-2 text-sm font-medium hover:bg-stone-100" href="/manage/imports">"Import CSV"</a>
                <a class="rounded-md border border-stone-300 px-3 py-2 text-sm font-medium hover:bg-stone-100" href="/manage/products/new">"New product"</a>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading products…"</p> }>
            {move || Suspend::new(async move {
                match table.await {
                    Ok(table) => view! { <Table table filters=filters() update /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(filters: ProductFilters, categories: Vec<CategoryChoice>) -> impl IntoView {
    let status = filters.status.clone();
    let stock = filters.stock.clone();
    let sort = filters.sort.clone();
    view! {
        <form method="get" action="/manage/products" role="search" aria-label="Filter products" class="mt-4 flex flex-wrap items-end gap-3">
            <div>
                <label for="products-q" class="block text-sm font-medium text-stone-900">"Name or SKU"</label>
                <input id="products-q" name="q" type="search" value=filters.q.clone() class=format!("{INPUT} w-56") />
            </div>
            <div>
                <label for="products-category" class="block text-sm font-medium text-stone-900">"Category"</label>
                <select id="products-category" name="category" class=INPUT>
                    <option value="">"Any category"</option>
                    {category_options(&categories, filters.category.as_deref())}
                </select>
            </div>
            <div>
                <label for="products-status" class="block text-sm font-medium text-stone-900">"Status"</label>
                <select id="products-status" name="status" class=INPUT>
                    <option value="">"Any status"</option>
                    {ProductStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.name() selected=status.as_deref() == Some(s.name())>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="products-stock" class="block text-sm font-medium text-stone-900">"Stock"</label>
                <select id="products-stock" name="stock" class=INPUT>
                    <option value="">"Any stock"</option>
                    {ProductStock::ALL.into_iter().map(|s| view! {
                        <option value=s.name() selected=stock.as_deref() == Some(s.name())>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="products-sort" class="block text-sm font-medium text-stone-900">"Order"</label>
                <select id="products-sort" name="sort" class=INPUT>
                    {ProductSort::ALL.into_iter().map(|s| view! {
                        <option value=s.name() selected=sort.as_deref() == Some(s.name())>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class=BUTTON>"Filter"</button>
        </form>
    }
}

#[component]
fn Table(
    table: ProductTable,
    filters: ProductFilters,
    update: ServerAction<UpdateProducts>,
) -> impl IntoView {
    let next = table.next.map(|after| {
        ProductFilters {
            after: Some(after),
            ..filters.clone()
        }
        .href()
    });
    let can_edit = table.can_edit;
    let empty = table.rows.is_empty();
    let rows = table
        .rows
        .into_iter()
        .map(|row| {
            let select_label = format!("Select {}", row.name);
            view! {
                <tr data-testid="product-row">
                    {can_edit.then(|| view! {
                        <td class="py-2 pr-2">
                            <input type="checkbox" name="ids[]" value=row.id aria-label=select_label form="products-action" />
                        </td>
                    })}
                    <td class="py-2">
                        <a class="font-medium underline" rel="external" href=format!("/manage/products/{}", row.id)>{row.name.clone()}</a>
                    </td>
                    <td>{row.category.clone()}</td>
                    <td data-testid="product-status">{row.status.label()}</td>
                    <td class="text-right tabular-nums">{row.price.to_string()}</td>
                    <td class="text-right tabular-nums">{row.variants}</td>
                    <td class="text-right tabular-nums">{row.available}</td>
                    <td class="pl-4">{row.stock.label()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Filters filters=filters.clone() categories=table.categories.clone() />
        {can_edit.then(|| view! {
            <ActionForm action=update attr:id="products-action" attr:class="mt-6 flex flex-wrap items-end gap-3" attr:aria-label="Change the selected products">
                <div>
                    <label for="products-action-kind" class="block text-sm font-medium text-stone-900">"With the selected"</label>
                    <select id="products-action-kind" name="action" class=INPUT>
                        <option value="publish">"Publish"</option>
                        <option value="withdraw">"Withdraw to draft"</option>
                        <option value="archive">"Archive"</option>
                        <option value="move">"Move to category"</option>
                    </select>
                </div>
                <div>
                    <label for="products-action-category" class="block text-sm font-medium text-stone-900">"Category (to move)"</label>
                    <select id="products-action-category" name="category" class=INPUT>
                        <option value="">"—"</option>
                        {category_options(&table.categories, None)}
                    </select>
                </div>
                <button type="submit" class=BUTTON>"Apply"</button>
            </ActionForm>
            <FormFeedback action=update success="Products updated." />
        })}
        {empty.then(|| view! { <p class="mt-6 text-stone-700">"No products match."</p> })}
        <div class="mt-4 overflow-x-auto">
            <table class="w-full text-left text-sm">
                <caption class="sr-only">"Products"</caption>
                <thead class="border-b border-stone-300 text-stone-600">
                    <tr>
                        {can_edit.then(|| view! { <th scope="col" class="py-2 pr-2"><span class="sr-only">"Selected"</span></th> })}
                        <th scope="col" class="py-2">"Name"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="text-right">"From"</th>
                        <th scope="col" class="text-right">"Variants"</th>
                        <th scope="col" class="text-right">"Available"</th>
                        <th scope="col" class="pl-4">"Stock"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-stone-200">{rows}</tbody>
            </table>
        </div>
        {next.map(|href| view! { <a class="mt-4 inline-block underline" href=href>"Next page"</a> })}
    }
}
