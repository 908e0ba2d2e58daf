//! Likes: a heart on every product card and product page, a count beside it, and the shopper's
//! liked products as a listing filter (`/products?liked=true`).
//!
//! The catalog cache holds cards without counts or hearts, and [`fill`] adds them to each answer
//! in one query. Kept whole pages (`server::page_cache`) show counts as they were rendered, so a
//! change to a count drops the kept pages showing that product (migration 0023); a shopper's own
//! hearts are put in for them (`components::personal`). Either way a like shows at once everywhere.
//!
//! Liking needs an account. A signed-out shopper's heart sends them to sign in and back, and the
//! like they asked for is kept in the session and recorded when they sign in.

use super::Likes;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Likes or unlikes a product for the signed-in shopper, answering with its likes afterwards.
#[server]
pub async fn like_product(product_id: i64, like: bool) -> Result<Likes, AppError> {
    let state = crate::server::state()?;
    let Some(user) = crate::accounts::auth::current_user().await? else {
        return sign_in_first(&state, product_id, like).await;
    };
    let mut tx = state.db.begin().await?;
    let likes = super::repo::set_like(&mut tx, user.id, product_id, like)
        .await?
        .ok_or_else(|| AppError::not_found("That product"))?;
    tx.commit().await?;
    if crate::server::is_form_post() {
        // Back to the page the heart was on, which shows the change.
        leptos_axum::redirect(&crate::server::referring_path().unwrap_or("/".into()));
    }
    Ok(likes)
}

/// Keeps the like for after sign-in and sends the shopper there, then back to where they were.
#[cfg(feature = "ssr")]
async fn sign_in_first(
    state: &crate::server::AppState,
    product_id: i64,
    like: bool,
) -> Result<Likes, AppError> {
    let session = crate::server::session().await?;
    crate::server::sessions::SessionState::update(&session, |kept| {
        kept.pending_like = like.then_some(product_id);
    })
    .await?;
    let back = crate::server::referring_path().unwrap_or_else(|| "/".into());
    let next: String =
        leptos_router::params::ParamsMap::from_iter([("next".to_owned(), back)]).to_query_string();
    leptos_axum::redirect(&format!("/account/login{next}"));
    let current = super::repo::likes_of(&state.db, None, &[product_id]).await?;
    Ok(current.get(&product_id).copied().unwrap_or_default())
}

/// Records the like a shopper asked for before signing in, inside the sign-in's transaction.
#[cfg(feature = "ssr")]
pub async fn record_pending(
    tx: &mut crate::server::db::Tx,
    pending: Option<i64>,
    user_id: i64,
) -> Result<(), AppError> {
    if let Some(product_id) = pending {
        // A product withdrawn in the meantime is simply not liked.
        super::repo::set_like(tx, user_id, product_id, true).await?;
    }
    Ok(())
}

/// Sets each product's likes as the shopper asking sees them, in one query.
#[cfg(feature = "ssr")]
pub async fn fill(
    db: &crate::server::db::Db,
    user_id: Option<i64>,
    products: Vec<(i64, &mut Likes)>,
) -> Result<(), AppError> {
    let ids: Vec<i64> = products.iter().map(|(id, _)| *id).collect();
    let found = super::repo::likes_of(db, user_id, &ids).await?;
    for (id, likes) in products {
        *likes = found.get(&id).copied().unwrap_or_default();
    }
    Ok(())
}

/// The heart and the count: a form that posts and comes back to the page, with the heart turned.
#[component]
pub fn LikeButton(
    product_id: i64,
    /// The product's name, for the button's accessible label.
    name: String,
    likes: Likes,
    #[prop(default = "h-9 w-9 text-xl")] size: &'static str,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::components::personal::HeartsShown::record(crate::components::personal::Heart {
        product_id,
        name: name.clone(),
        likes,
        size,
    });
    // A plain form: navigation.js posts it in place, and a page has two dozen of them, each of
    // which an `ActionForm` would give an action and its signals to build and drop.
    view! {
        <form method="post" action=LikeProduct::PATH class="flex items-center gap-1">
            <input type="hidden" name="product_id" value=product_id />
            <input type="hidden" name="like" value=(!likes.liked).to_string() />
            <button
                type="submit"
                aria-pressed=likes.liked.to_string()
                data-testid="like"
                class=format!("flex items-center justify-center rounded-full border border-stone-300 bg-white text-red-700 hover:bg-red-50 {size}")
            >
                <span aria-hidden="true">{if likes.liked { "♥" } else { "♡" }}</span>
                <span class="sr-only">"Like " {name}</span>
            </button>
            <span class="text-sm text-stone-700" data-testid="like-count">
                {likes.count}
                <span class="sr-only">{if likes.count == 1 { " like" } else { " likes" }}</span>
            </span>
        </form>
    }
}

/// A heart as a page shows it, for the shared pages that are cut where their hearts are
/// (`components::personal`).
#[cfg(feature = "ssr")]
pub(crate) fn heart_html(heart: &crate::components::personal::Heart) -> String {
    let heart = heart.clone();
    crate::components::personal::render_html(move || {
        view! { <LikeButton product_id=heart.product_id name=heart.name likes=heart.likes size=heart.size /> }
    })
}
