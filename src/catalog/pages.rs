//! Catalog pages.

use super::api::fetch_home;
use super::{CategoryNode, HomeContent};
use crate::components::{ErrorPanel, ProductGrid, ShopInfo, ShopResource};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |()| fetch_home());
    let shop = expect_context::<ShopResource>();
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-stone-600">"Loading the shop…"</p> }>
            {move || Suspend::new(async move {
                match (data.await, shop.await) {
                    (Ok(home), Ok(shop)) => view! { <HomeSections home shop /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HomeSections(home: HomeContent, shop: ShopInfo) -> impl IntoView {
    view! {
        <Title text=format!("{} — {}", shop.name, shop.tagline) />
        <Meta name="description" content=shop.tagline.clone() />
        <section class="bg-stone-900 text-stone-50" aria-labelledby="hero-title">
            <div class="mx-auto max-w-6xl px-4 py-14">
                <h1 id="hero-title" class="text-4xl font-semibold tracking-tight">{shop.name.clone()}</h1>
                <p class="mt-3 max-w-xl text-lg text-stone-300">{shop.tagline.clone()}</p>
            </div>
        </section>
        <div class="mx-auto grid max-w-6xl gap-10 px-4 py-10 lg:grid-cols-[14rem_1fr]">
            <CategoryTree categories=home.categories />
            <div class="space-y-12">
                <ProductSection id="featured" title="Featured" products=home.featured />
                <ProductSection id="new-arrivals" title="New arrivals" products=home.new_arrivals />
            </div>
        </div>
    }
}

#[component]
fn ProductSection(
    id: &'static str,
    title: &'static str,
    products: Vec<super::ProductCard>,
) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <section aria-labelledby=labelled_by>
            <h2 id=heading class="mb-4 text-2xl font-semibold text-stone-900">{title}</h2>
            <ProductGrid products />
        </section>
    }
}

#[component]
pub fn CategoryTree(categories: Vec<CategoryNode>) -> impl IntoView {
    view! {
        <nav aria-label="Categories" class="text-sm">
            <h2 class="mb-3 text-xs font-semibold uppercase tracking-wider text-stone-600">"Categories"</h2>
            <ul class="space-y-3">
                {categories
                    .into_iter()
                    .map(|top| {
                        view! {
                            <li>
                                <a class="font-medium text-stone-900 hover:underline" href=top.href()>{top.name.clone()}</a>
                                <ul class="mt-1 space-y-1 border-l border-stone-200 pl-3">
                                    {top
                                        .children
                                        .iter()
                                        .map(|child| {
                                            view! {
                                                <li>
                                                    <a class="text-stone-700 hover:underline" href=child.href()>{child.name.clone()}</a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
