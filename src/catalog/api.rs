//! Catalog server functions: who is asking, what they asked for, the repository's answer.

use super::listing::{Listing, ListingParams};
use super::{CategoryContent, HomeContent, ProductDetail};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(input = GetUrl)]
pub async fn fetch_home() -> Result<HomeContent, AppError> {
    use super::cache::{Key, Shown};
    use super::repo;
    let state = crate::server::state()?;
    let db = &state.db;
    let catalog = &state.settings.catalog;
    let mut home = state
        .catalog_cache
        .get_or_load(
            db,
            Key::Home,
            async {
                let (featured, new_arrivals, categories) = tokio::try_join!(
                    repo::featured(db, i64::from(catalog.home_featured)),
                    repo::newest(db, i64::from(catalog.home_new_arrivals)),
                    repo::category_tree(db),
                )?;
                Ok::<_, AppError>(HomeContent {
                    featured,
                    new_arrivals,
                    categories,
                })
            },
            |home| {
                Shown::of(
                    home.featured
                        .iter()
                        .chain(&home.new_arrivals)
                        .map(|card| card.id),
                )
            },
        )
        .await?;
    let cards = home.featured.iter_mut().chain(&mut home.new_arrivals);
    super::likes::fill(db, shopper().await?, card_likes(cards)).await?;
    Ok(home)
}

/// A page of the product listing for the URL's parameters, checked here whatever the browser sent,
/// with a search's facets. A search word that matches nothing is corrected to the closest word in the
/// catalog, unless the shopper asked for the text as typed (`exact`).
#[server(input = GetUrl)]
pub async fn fetch_products(#[server(default)] params: ListingParams) -> Result<Listing, AppError> {
    use super::cache::Key;
    use super::listing::ListingQuery;
    use super::{repo, search};
    let state = crate::server::state()?;
    let currency = state.settings.shop.currency;
    let user_id = shopper().await?;
    let liked_by = match params.liked_only()? {
        true => Some(user_id.ok_or(AppError::Unauthorized)?),
        false => None,
    };
    let load = async {
        let mut query = ListingQuery::parse(&params, currency)?;
        query.liked_by = liked_by;
        let mut corrected = None;
        let mut suggestion = None;
        if let Some(text) = &query.search {
            let vocabulary = repo::search_vocabulary(&state.db, &state.vocabulary).await?;
            if let Some(better) = vocabulary.correct(&search::terms(text)) {
                let better = better.join(" ");
                if params.is_exact() {
                    suggestion = Some(better);
                } else {
                    query.search = Some(better.clone());
                    corrected = Some(better);
                }
            }
        }
        // Facets count every match. For a search that is what the index found; for plain
        // browsing it would be the whole catalog on every page, so browsing goes without.
        let facets = async {
            match &query.search {
                Some(_) => repo::facets(&state.db, &query, currency).await,
                None => Ok(Default::default()),
            }
        };
        let (page, facets) = tokio::try_join!(repo::list_products(&state.db, &query), facets)?;
        let popular = if page.products.is_empty() {
            repo::popular_categories(&state.db, 4).await?
        } else {
            Vec::new()
        };
        Ok::<_, AppError>(Listing {
            page,
            corrected,
            suggestion,
            facets,
            popular,
        })
    };
    // One shopper's likes are not the catalog's: that listing is never shared or cached.
    let mut listing = match liked_by {
        Some(_) => load.await?,
        None => {
            let key = Key::Listing(cache_key(&params)?);
            state
                .catalog_cache
                .get_or_load(&state.db, key, load, |listing| {
                    page_shows(&listing.page, &params)
                })
                .await?
        }
    };
    super::likes::fill(&state.db, user_id, card_likes(&mut listing.page.products)).await?;
    Ok(listing)
}

/// A category with its subcategories and a page of its products (subcategories' included).
#[server(input = GetUrl)]
pub async fn fetch_category(
    slug: String,
    #[server(default)] params: ListingParams,
) -> Result<CategoryContent, AppError> {
    let state = crate::server::state()?;
    if params.liked_only()? {
        return Err(AppError::bad_request(
            "Liked products are listed on the products page, not a category's.",
        ));
    }
    let load = async |slug: &str| {
        state
            .catalog_cache
            .get_or_load(
                &state.db,
                super::cache::Key::Category(slug.to_owned(), cache_key(&params)?),
                load_category(&state, slug.to_owned(), params.clone()),
                |category| page_shows(&category.page, &params),
            )
            .await
    };
    let mut category = match load(&slug).await {
        // An address the category had before its slug changed leads to its address now, for good.
        Err(AppError::NotFound(what)) => {
            let Some(moved_to) = super::repo::category_slug_redirect(&state.db, &slug).await?
            else {
                return Err(AppError::NotFound(what));
            };
            let category = load(&moved_to).await?;
            crate::server::moved_permanently(&format!("/c/{moved_to}{}", params.to_query_string()));
            category
        }
        other => other?,
    };
    let cards = card_likes(&mut category.page.products);
    super::likes::fill(&state.db, shopper().await?, cards).await?;
    Ok(category)
}

/// The category page's content from the database; errors (unknown slug, bad filters) are not cached.
#[cfg(feature = "ssr")]
async fn load_category(
    state: &crate::server::AppState,
    slug: String,
    params: ListingParams,
) -> Result<CategoryContent, AppError> {
    use super::listing::ListingQuery;
    use super::repo;
    let category = repo::category_by_slug(&state.db, &slug)
        .await?
        .ok_or_else(|| AppError::not_found("That category"))?;
    let query = ListingQuery::parse(
        &ListingParams {
            category: vec![category.slug.clone()],
            ..params
        },
        state.settings.shop.currency,
    )?;
    let (tree, page) = tokio::try_join!(
        repo::category_tree(&state.db),
        repo::list_products(&state.db, &query)
    )?;
    let parent = tree
        .iter()
        .find(|top| top.children.iter().any(|child| child.slug == category.slug))
        .map(|top| super::CategoryNode {
            slug: top.slug.clone(),
            name: top.name.clone(),
            children: Vec::new(),
        });
    let children = tree
        .into_iter()
        .find(|top| top.slug == category.slug)
        .map(|top| top.children)
        .unwrap_or_default();
    Ok(CategoryContent {
        image: category.image(),
        slug: category.slug,
        name: category.name,
        description: category.description,
        parent,
        children,
        page,
    })
}

#[server(input = GetUrl)]
pub async fn fetch_product(slug: String) -> Result<ProductDetail, AppError> {
    let state = crate::server::state()?;
    let load = async |slug: &str| {
        state
            .catalog_cache
            .get_or_load(
                &state.db,
                super::cache::Key::Product(slug.to_owned()),
                async { Ok::<_, AppError>(super::repo::product_detail(&state.db, slug).await?) },
                |product| {
                    super::cache::Shown::of(product.iter().flat_map(|product| {
                        std::iter::once(product.id)
                            .chain(product.related.iter().map(|card| card.id))
                    }))
                },
            )
            .await
    };
    let mut product = match load(&slug).await? {
        Some(product) => product,
        // An address the product had before its slug changed leads to its address now, for good.
        None => {
            let moved_to = super::repo::slug_redirect(&state.db, &slug)
                .await?
                .ok_or_else(|| AppError::not_found("That product"))?;
            let product = load(&moved_to)
                .await?
                .ok_or_else(|| AppError::not_found("That product"))?;
            crate::server::moved_permanently(&format!("/p/{moved_to}"));
            product
        }
    };
    let mut likes = card_likes(&mut product.related);
    likes.push((product.id, &mut product.likes));
    super::likes::fill(&state.db, shopper().await?, likes).await?;
    Ok(product)
}

/// What a page of the listing shows: its cards; and whatever else chose them, since any product's
/// change to it can bring one in, take one out or reorder them: everyone's stock when it lists only
/// what is in stock, names when it is sorted by name, prices when it is sorted or filtered by price,
/// and for a search its words and prices (its facets count them).
#[cfg(feature = "ssr")]
fn page_shows(page: &super::listing::ProductPage, params: &ListingParams) -> super::cache::Shown {
    use super::cache::Change;
    let mut chosen_by = Vec::new();
    if params.in_stock_only().unwrap_or(true) {
        chosen_by.push(Change::Stock);
    }
    if params.searches() {
        chosen_by.extend([Change::Words, Change::Name]);
    }
    if params.sorted_by_name() {
        chosen_by.push(Change::Name);
    }
    if params.depends_on_prices() {
        chosen_by.push(Change::Price);
    }
    super::cache::Shown::of(page.products.iter().map(|card| card.id)).chosen_by(chosen_by)
}

/// The signed-in shopper's id, for their hearts.
#[cfg(feature = "ssr")]
async fn shopper() -> Result<Option<i64>, AppError> {
    Ok(crate::accounts::auth::current_user()
        .await?
        .map(|user| user.id))
}

/// Each card's likes, paired for [`super::likes::fill`].
#[cfg(feature = "ssr")]
fn card_likes<'a>(
    cards: impl IntoIterator<Item = &'a mut super::ProductCard>,
) -> Vec<(i64, &'a mut super::Likes)> {
    cards
        .into_iter()
        .map(|card| (card.id, &mut card.likes))
        .collect()
}

/// The listing parameters as a cache key: all of them, whatever fields they gain.
#[cfg(feature = "ssr")]
fn cache_key(params: &ListingParams) -> Result<String, AppError> {
    serde_json::to_string(params).map_err(|error| {
        tracing::error!(%error, "listing parameters did not serialize");
        AppError::Internal
    })
}
