//! Catalog pages.

use super::api::{fetch_category, fetch_home, fetch_product, fetch_products};
use super::likes::LikeButton;
use super::listing::{Facets, Listing, ListingParams, ProductPage, Sort};
use super::{CategoryContent, CategoryNode, HomeContent, ProductDetail};
use crate::accounts::pages::SignInFirst;
use crate::cart::pages::AddToCartForm;
use crate::components::{ErrorPanel, NotFound, PageMeta, ProductGrid, ShopInfo, ShopResource};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

// The catalog's pages are the same for every visitor, so the page cache may keep them: the home
// page without parameters, listings and categories under their parameters in one written form
// (a shopper's own liked products for visitors only), and product pages with the image chosen.
#[cfg(feature = "ssr")]
mod shareable {
    use super::ListingParams;
    use crate::server::page_cache::{Shareable, reads_only};

    inventory::submit! {
        Shareable {
            path: |path| path == "/",
            query: |query| reads_only(query, &[]).then(|| (query.to_query_string(), true)),
        }
    }

    inventory::submit! {
        Shareable {
            path: |path| path == "/products" || path.starts_with("/c/"),
            query: |query| {
                if !reads_only(query, &ListingParams::KEYS) {
                    return None;
                }
                let listing = ListingParams::from_query(query);
                let own_likes = listing.liked_only().unwrap_or(true);
                Some((listing.to_query_string(), !own_likes))
            },
        }
    }

    inventory::submit! {
        Shareable {
            path: |path| path.starts_with("/p/"),
            query: |query| reads_only(query, &["image"]).then(|| (query.to_query_string(), true)),
        }
    }
}

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
        <PageMeta title=format!("{} — {}", shop.name, shop.tagline) description=shop.tagline.clone() public_url=shop.public_url.clone() path="/" />
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

/// `/products`: every active product, searched, filtered and sorted by the URL's parameters.
#[component]
pub fn ProductsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| ListingParams::from_query(&query.read()));
    let page = Resource::new(move || params.get(), fetch_products);
    let shop = expect_context::<ShopResource>();
    let heading = move || {
        let params = params.read();
        match (params.q.clone(), params.liked_only().unwrap_or(false)) {
            (Some(q), true) => format!("Products you like matching “{q}”"),
            (Some(q), false) => format!("Results for “{q}”"),
            (None, true) => "Products you like".to_owned(),
            (None, false) => "All products".to_owned(),
        }
    };
    view! {
        <div class="mx-auto max-w-6xl px-4 py-8">
            <h1 class="text-3xl font-semibold text-stone-900">{heading}</h1>
            <ListingFilters params action="/products".to_owned() />
            <Suspense fallback=|| view! { <p class="py-8 text-stone-600">"Loading products…"</p> }>
                {move || Suspend::new(async move {
                    match (page.await, shop.await) {
                        (Ok(listing), Ok(shop)) => {
                            let params = params.get_untracked();
                            let path = format!("/products{}", params.to_query_string());
                            view! {
                                <PageMeta title=heading() description="Everything in the shop, to search, filter and sort."
                                    public_url=shop.public_url path />
                                <SearchResults listing params />
                            }
                            .into_any()
                        }
                        // Only the liked-products filter needs an account.
                        (Err(AppError::Unauthorized), _) => view! { <SignInFirst /> }.into_any(),
                        (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The listing beside its facets, with a note when the search's spelling was corrected.
#[component]
fn SearchResults(listing: Listing, params: ListingParams) -> impl IntoView {
    let corrected = listing.corrected.clone().map(|corrected| {
        let exact = ListingParams {
            exact: Some("true".to_owned()),
            sort: None,
            after: None,
            ..params.clone()
        };
        let href = format!("/products{}", exact.to_query_string());
        let typed = params.q.clone().unwrap_or_default();
        view! {
            <p class="mt-4 text-stone-700" data-testid="corrected">
                <span>"Showing results for "</span><strong class="text-stone-900">{corrected}</strong><span>". "</span>
                <a class="underline" href=href>"Search instead for "<span>{typed}</span></a>
            </p>
        }
    });
    let facets = (!listing.facets.is_empty()).then_some(listing.facets);
    let results = view! {
        <ListingResults page=listing.page params=params.clone() base="/products".to_owned()
            suggestion=listing.suggestion popular=listing.popular />
    };
    view! {
        {corrected}
        {match facets {
            Some(facets) => view! {
                <div class="mt-8 grid gap-8 lg:grid-cols-[13rem_1fr]">
                    <FacetSidebar facets params />
                    <div>{results}</div>
                </div>
            }
            .into_any(),
            None => results.into_any(),
        }}
    }
}

/// Facets as plain links that add or remove one filter, each with how many products it would
/// show: they work without JavaScript, and with it the router follows them in place.
#[component]
fn FacetSidebar(facets: Facets, params: ListingParams) -> impl IntoView {
    let link = |params: &ListingParams| format!("/products{}", params.to_query_string());
    let category = |slug: &str, name: &str, count: i64, nested: bool| {
        let selected = params.category.iter().any(|c| c == slug);
        let href = link(&params.toggle_category(slug));
        let class = if nested {
            "ml-4 flex gap-2 py-0.5 hover:underline"
        } else {
            "flex gap-2 py-0.5 font-medium hover:underline"
        };
        view! {
            <li>
                <a href=href class=class aria-current=selected.then_some("true")>
                    <span aria-hidden="true">{if selected { "☑" } else { "☐" }}</span>
                    <span>{name.to_owned()}</span>
                    <span class="text-stone-600">{format!("({count})")}</span>
                </a>
            </li>
        }
    };
    let has_categories = !facets.categories.is_empty();
    let categories = facets
        .categories
        .iter()
        .flat_map(|top| {
            std::iter::once(category(&top.slug, &top.name, top.count, false)).chain(
                top.children
                    .iter()
                    .map(|child| category(&child.slug, &child.name, child.count, true))
                    .collect::<Vec<_>>(),
            )
        })
        .collect_view();
    let prices = facets
        .prices
        .iter()
        .map(|band| {
            let (min, max) = band.params();
            let selected =
                band.is_chosen(params.min_price.as_deref(), params.max_price.as_deref());
            let href = if selected {
                link(&params.with_prices(None, None))
            } else {
                link(&params.with_prices(min, max))
            };
            let label = band.label();
            if band.count == 0 && !selected {
                view! {
                    <li class="flex gap-2 py-0.5 text-stone-600">
                        <span aria-hidden="true">"☐"</span><span>{label}</span><span>"(0)"</span>
                    </li>
                }
                .into_any()
            } else {
                view! {
                    <li>
                        <a href=href class="flex gap-2 py-0.5 hover:underline" aria-current=selected.then_some("true")>
                            <span aria-hidden="true">{if selected { "☑" } else { "☐" }}</span>
                            <span>{label}</span>
                            <span class="text-stone-600">{format!("({})", band.count)}</span>
                        </a>
                    </li>
                }
                .into_any()
            }
        })
        .collect_view();
    view! {
        <aside aria-label="Narrow the results" class="space-y-6 text-sm text-stone-900">
            {has_categories.then(|| view! {
                <section aria-labelledby="facet-category">
                    <h2 id="facet-category" class="mb-2 text-xs font-semibold uppercase tracking-wider text-stone-600">"Category"</h2>
                    <ul>{categories}</ul>
                </section>
            })}
            <section aria-labelledby="facet-price">
                <h2 id="facet-price" class="mb-2 text-xs font-semibold uppercase tracking-wider text-stone-600">"Price"</h2>
                <ul>{prices}</ul>
            </section>
        </aside>
    }
}

/// `/c/{slug}`: a category, its subcategories and its products.
#[component]
pub fn CategoryPage() -> impl IntoView {
    let route = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| route.read().get("slug").unwrap_or_default());
    let params = Memo::new(move |_| ListingParams::from_query(&query.read()));
    let content = Resource::new(
        move || (slug.get(), params.get()),
        |(slug, params)| fetch_category(slug, params),
    );
    let shop = expect_context::<ShopResource>();
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-6xl px-4 py-8 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (content.await, shop.await) {
                    (Ok(category), Ok(shop)) => {
                        view! { <CategoryView category params=params.get_untracked() public_url=shop.public_url /> }.into_any()
                    }
                    (Err(AppError::NotFound(_)), _) => view! { <NotFound /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CategoryView(
    category: CategoryContent,
    params: ListingParams,
    public_url: String,
) -> impl IntoView {
    let base = format!("/c/{}", category.slug);
    let description = category.description.clone();
    view! {
        <PageMeta title=category.name.clone() description public_url path=base.clone() />
        <div class="mx-auto max-w-6xl px-4 py-8">
            <Breadcrumb trail=category.parent.clone().into_iter().collect() current=category.name.clone() />
            {category.image.clone().map(|image| view! {
                <img src=image.url srcset=image.srcset sizes="(min-width: 1152px) 72rem, 100vw" alt=image.alt
                    width=image.width height=image.height data-testid="category-picture"
                    class="mt-4 aspect-[3/1] w-full rounded-lg object-cover" />
            })}
            <h1 class="mt-3 text-3xl font-semibold text-stone-900">{category.name.clone()}</h1>
            <p class="mt-2 max-w-2xl text-stone-700">{category.description.clone()}</p>
            {(!category.children.is_empty()).then(|| view! {
                <nav aria-label="Subcategories" class="mt-4">
                    <ul class="flex flex-wrap gap-2">
                        {category.children.iter().map(|child| view! {
                            <li>
                                <a class="inline-block rounded-full border border-stone-300 px-3 py-1 text-sm text-stone-900 hover:bg-stone-100" href=child.href()>
                                    {child.name.clone()}
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </nav>
            })}
            <ListingFilters params=Memo::new({
                let params = params.clone();
                move |_| params.clone()
            }) action=base.clone() />
            <ListingResults page=category.page params base />
        </div>
    }
}

/// The listing's filters as a plain GET form: it works without JavaScript, and with it the router
/// navigates in place and keeps the URL in sync.
#[component]
fn ListingFilters(params: Memo<ListingParams>, action: String) -> impl IntoView {
    let current = params.get_untracked();
    let sort = current.sort_param();
    let searching = current.q.is_some();
    let in_stock = current.in_stock_only().unwrap_or(false);
    let liked = current.liked_only().unwrap_or(false);
    // Liked products are one shopper's, listed under /products only.
    let offers_liked = action == "/products";
    view! {
        <Form method="GET" action=action attr:class="mt-6 flex flex-wrap items-end gap-4 rounded-lg border border-stone-200 bg-stone-50 p-4" attr:aria-label="Filter products">
            {current.category.iter().map(|slug| view! { <input type="hidden" name="category" value=slug.clone() /> }).collect_view()}
            {current.q.clone().map(|q| view! { <input type="hidden" name="q" value=q /> })}
            {current.exact.clone().map(|exact| view! { <input type="hidden" name="exact" value=exact /> })}
            <label class="flex flex-col text-sm text-stone-700">
                "Sort by"
                <select name="sort" class="mt-1 rounded-md border border-stone-300 bg-white px-2 py-2 text-stone-900">
                    {Sort::ALL.into_iter().filter(|option| searching || !option.needs_search()).map(|option| view! {
                        <option value=option.param() selected=option.param() == sort>{option.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-sm text-stone-700">
                "Lowest price"
                <input name="min_price" inputmode="decimal" value=current.min_price.clone().unwrap_or_default()
                    class="mt-1 w-28 rounded-md border border-stone-300 px-2 py-2 text-stone-900" />
            </label>
            <label class="flex flex-col text-sm text-stone-700">
                "Highest price"
                <input name="max_price" inputmode="decimal" value=current.max_price.clone().unwrap_or_default()
                    class="mt-1 w-28 rounded-md border border-stone-300 px-2 py-2 text-stone-900" />
            </label>
            <label class="flex items-center gap-2 self-center text-sm text-stone-700">
                <input type="checkbox" name="in_stock" value="true" checked=in_stock class="h-4 w-4" />
                "In stock only"
            </label>
            {offers_liked.then(|| view! {
                <label class="flex items-center gap-2 self-center text-sm text-stone-700">
                    <input type="checkbox" name="liked" value="true" checked=liked class="h-4 w-4" />
                    "Liked only"
                </label>
            })}
            <button type="submit" class="rounded-md bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700">"Apply"</button>
        </Form>
    }
}

#[component]
fn ListingResults(
    page: ProductPage,
    params: ListingParams,
    base: String,
    /// A spelling to try instead, when the search was run as typed.
    #[prop(optional_no_strip)]
    suggestion: Option<String>,
    /// Categories to offer when nothing matched.
    #[prop(optional)]
    popular: Vec<CategoryNode>,
) -> impl IntoView {
    let liked_only = params.liked_only().unwrap_or(false);
    let filtered = !params.category.is_empty()
        || params.min_price.is_some()
        || params.max_price.is_some()
        || params.in_stock.is_some();
    if page.products.is_empty() && liked_only && !filtered && params.q.is_none() {
        return view! {
            <section class="py-12 text-center" data-testid="no-results">
                <h2 class="text-xl font-semibold text-stone-900">"Nothing liked yet"</h2>
                <p class="mt-2 text-stone-700">
                    "Press the heart on any product to keep it here. "
                    <a class="underline" href="/products">"Browse the shop"</a>
                </p>
            </section>
        }
        .into_any();
    }
    if page.products.is_empty() {
        let suggestion = suggestion.map(|better| {
            let href = format!(
                "{base}{}",
                ListingParams {
                    q: Some(better.clone()),
                    exact: None,
                    after: None,
                    ..params.clone()
                }
                .to_query_string()
            );
            view! {
                <p class="mt-2 text-stone-700">
                    <span>"Did you mean "</span><a class="font-medium underline" href=href>{better}</a><span>"?"</span>
                </p>
            }
        });
        let unfiltered = ((filtered || liked_only) && params.q.is_some())
            .then(|| format!("{base}{}", params.without_filters().to_query_string()));
        return view! {
            <section class="py-12 text-center" aria-live="polite" data-testid="no-results">
                <h2 class="text-xl font-semibold text-stone-900">"No products match"</h2>
                {suggestion}
                {unfiltered.map(|href| view! {
                    <p class="mt-2 text-stone-700"><a class="underline" href=href>"Search again without the filters"</a></p>
                })}
                <p class="mt-2 text-stone-700">"Try a wider price range or another category, or "<a class="underline" href="/products">"browse everything"</a>"."</p>
                {(!popular.is_empty()).then(|| view! {
                    <nav aria-label="Popular categories" class="mt-6">
                        <h3 class="text-sm font-semibold uppercase tracking-wider text-stone-600">"Popular categories"</h3>
                        <ul class="mt-2 flex flex-wrap justify-center gap-2">
                            {popular.iter().map(|category| view! {
                                <li>
                                    <a class="inline-block rounded-full border border-stone-300 px-3 py-1 text-sm text-stone-900 hover:bg-stone-100" href=category.href()>
                                        {category.name.clone()}
                                    </a>
                                </li>
                            }).collect_view()}
                        </ul>
                    </nav>
                })}
            </section>
        }
        .into_any();
    }
    let next = page
        .next
        .map(|after| format!("{base}{}", params.with_after(Some(after)).to_query_string()));
    let first = params
        .after
        .is_some()
        .then(|| format!("{base}{}", params.with_after(None).to_query_string()));
    view! {
        <section aria-labelledby="results-title" class="mt-8">
            <h2 id="results-title" class="sr-only">"Products"</h2>
            <ProductGrid products=page.products />
            <nav aria-label="Pages" class="mt-10 flex justify-between">
                {first.map(|href| view! { <a class="font-medium underline" href=href>"← First page"</a> })}
                <span></span>
                {next.map(|href| view! { <a class="font-medium underline" href=href rel="next">"Next page →"</a> })}
            </nav>
        </section>
    }
    .into_any()
}

/// `/p/{slug}`: a product with its gallery, variants, add-to-cart form and related products.
#[component]
pub fn ProductPage() -> impl IntoView {
    let route = use_params_map();
    let slug = Memo::new(move |_| route.read().get("slug").unwrap_or_default());
    let product = Resource::new(move || slug.get(), fetch_product);
    let shop = expect_context::<ShopResource>();
    view! {
        <Suspense fallback=|| view! { <p class="mx-auto max-w-6xl px-4 py-8 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (product.await, shop.await) {
                    (Ok(product), Ok(shop)) => view! { <ProductView product public_url=shop.public_url /> }.into_any(),
                    (Err(AppError::NotFound(_)), _) => view! { <NotFound /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductView(product: ProductDetail, public_url: String) -> impl IntoView {
    let query = use_query_map();
    let image_count = product.images.len();
    // `?image=N` picks the large image, so the gallery works as plain links.
    let selected = Memo::new(move |_| {
        query
            .read()
            .get("image")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n < image_count)
            .unwrap_or(0)
    });
    let images = StoredValue::new(product.images.clone());
    let price = product.from_price().map(|price| {
        let varies = product.variants.iter().any(|v| v.price != price);
        if varies {
            format!("From {price}")
        } else {
            price.to_string()
        }
    });
    view! {
        <PageMeta title=product.meta_title.clone() description=product.meta_description.clone() public_url=public_url.clone() path=format!("/p/{}", product.slug)
            image=product.images.first().map(|image| image.url.clone()) kind="product" />
        <script type="application/ld+json" inner_html=structured_data(&product, &public_url)></script>
        <div class="mx-auto max-w-6xl px-4 py-8">
            <Breadcrumb
                trail=product.parent_category.clone().into_iter().chain([product.category.clone()]).collect()
                current=product.name.clone()
            />
            <div class="mt-6 grid gap-10 md:grid-cols-2">
                <section aria-label="Images">
                    <div class="aspect-square overflow-hidden rounded-lg bg-stone-100">
                        {move || images.with_value(|images| images.get(selected.get()).cloned()).map(|image| view! {
                            <img src=image.url srcset=image.srcset sizes="(min-width: 768px) 36rem, 100vw" alt=image.alt
                                width=image.width height=image.height class="h-full w-full object-cover" data-testid="main-image" />
                        })}
                    </div>
                    <ul class="mt-3 flex gap-3" aria-label="More images">
                        {product.images.iter().enumerate().map(|(n, image)| {
                            let label = format!("Show image {} of {image_count}", n + 1);
                            view! {
                                <li>
                                    <a href=format!("?image={n}") aria-label=label
                                        aria-current=move || (selected.get() == n).then_some("true")
                                        class="block h-20 w-20 overflow-hidden rounded-md border-2 border-transparent aria-[current=true]:border-stone-900">
                                        <img src=image.url.clone() srcset=image.srcset.clone() sizes="80px" alt="" width="80" height="80" class="h-full w-full object-cover" />
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
                <section aria-labelledby="product-name">
                    <h1 id="product-name" class="text-3xl font-semibold text-stone-900">{product.name.clone()}</h1>
                    <div class="mt-2 flex items-center justify-between gap-4">
                        <p class="text-xl text-stone-900" data-testid="price">{price}</p>
                        <LikeButton product_id=product.id name=product.name.clone() likes=product.likes />
                    </div>
                    <div class="description mt-4 text-stone-700" inner_html=product.description_html.clone()></div>
                    <AddToCartForm variants=product.variants.clone() option_name=product.option_name.clone() />
                </section>
            </div>
            {(!product.related.is_empty()).then(|| view! {
                <section class="mt-16" aria-labelledby="related-title">
                    <h2 id="related-title" class="mb-4 text-2xl font-semibold text-stone-900">"More from " {product.category.name.clone()}</h2>
                    <ProductGrid products=product.related.clone() />
                </section>
            })}
        </div>
    }
}

/// schema.org `Product` with one `Offer` per variant, for search engines' rich results. `<` is
/// escaped so no text in it can close the script element.
fn structured_data(product: &ProductDetail, public_url: &str) -> String {
    use super::Availability;
    let url = format!("{public_url}/p/{}", product.slug);
    let offers: Vec<serde_json::Value> = product
        .variants
        .iter()
        .map(|variant| {
            serde_json::json!({
                "@type": "Offer",
                "sku": variant.sku,
                "name": variant.title,
                "price": variant.price.to_decimal_string(),
                "priceCurrency": variant.price.currency.code(),
                "availability": match variant.availability {
                    Availability::InStock => "https://schema.org/InStock",
                    Availability::Low(_) => "https://schema.org/LimitedAvailability",
                    Availability::SoldOut => "https://schema.org/OutOfStock",
                },
                "url": url,
            })
        })
        .collect();
    let data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.meta_description,
        "sku": product.variants.first().map(|variant| variant.sku.clone()),
        "image": product.images.iter().map(|image| format!("{public_url}{}", image.url)).collect::<Vec<_>>(),
        "category": product.category.name,
        "url": url,
        "offers": offers,
    });
    data.to_string().replace('<', "\\u003c")
}

/// Home, then `trail`'s categories, then the current page.
#[component]
fn Breadcrumb(trail: Vec<CategoryNode>, current: String) -> impl IntoView {
    view! {
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <ol class="flex flex-wrap gap-2">
                <li><a class="hover:underline" href="/">"Home"</a><span aria-hidden="true">" /"</span></li>
                {trail.into_iter().map(|category| view! {
                    <li><a class="hover:underline" href=category.href()>{category.name.clone()}</a><span aria-hidden="true">" /"</span></li>
                }).collect_view()}
                <li aria-current="page" class="text-stone-900">{current}</li>
            </ol>
        </nav>
    }
}
