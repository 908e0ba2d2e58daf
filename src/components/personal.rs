//! The parts of a catalog page that differ between shoppers: the account menu, the cart count and
//! the hearts. Everything else on the page is the same for everyone, so a shared page
//! (`server::page_cache`) is rendered once, as a visitor without a session sees it, and cut where
//! these parts are; a shopper with a session gets that page with their own parts put in.
//!
//! Every part is rendered by the component that renders it in a page, so it is escaped as the
//! renderer escapes it, and a part is placed by finding its visitor's form in the page: when one
//! cannot be found exactly, the page is not cut and each shopper gets it rendered for them.

use crate::accounts::auth::Shopper;
use crate::accounts::pages::MenuFor;
use crate::catalog::Likes;
use crate::error::AppError;
use crate::server::AppState;
use leptos::prelude::*;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

/// A part of a page that differs between shoppers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    AccountMenu,
    CartCount,
    Heart(Heart),
}

/// A heart as a page shows it to a visitor without a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heart {
    pub product_id: i64,
    pub name: String,
    pub likes: Likes,
    pub size: &'static str,
}

/// The hearts a page shows, gathered while it renders when it is to be shared: the page cache
/// puts one in the request, and every heart rendered notes itself there.
#[derive(Clone, Debug, Default)]
pub struct HeartsShown(Arc<Mutex<Vec<Heart>>>);

impl HeartsShown {
    pub fn record(heart: Heart) {
        let Some(parts) = use_context::<axum::http::request::Parts>() else {
            return;
        };
        if let Some(shown) = parts.extensions.get::<HeartsShown>() {
            shown
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(heart);
        }
    }

    pub fn take(&self) -> Vec<Heart> {
        std::mem::take(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Renders a piece of view on its own, as it renders inside a page on the server.
pub fn render_html<V: IntoView + 'static>(view: impl FnOnce() -> V) -> String {
    let server = hydration_context::SsrSharedContext::new();
    let owner = Owner::new_root(Some(Arc::new(server)));
    owner.with(|| view().to_html())
}

/// Cart counts below this are kept rendered; larger ones are rendered when asked for.
const KEPT_COUNTS: u32 = 10;

/// A part found in a page: where it is, and the forms of it kept ready (the first is the one
/// in the page).
#[derive(Debug)]
pub struct Found {
    pub at: Range<usize>,
    pub part: Part,
    pub forms: Vec<String>,
}

/// Where each personal part of `html` is, with the forms it can take, in page order; `None` when
/// a part cannot be placed exactly, so the page cannot be shared with shoppers who have a session.
pub fn find_parts(html: &str, hearts: Vec<Heart>) -> Option<Vec<Found>> {
    let mut found = Vec::new();
    let menus: Vec<String> = MenuFor::ALL
        .into_iter()
        .map(super::layout::account_menu_html)
        .collect();
    found.push(only_one(html, Part::AccountMenu, menus)?);
    let counts: Vec<String> = (0..KEPT_COUNTS)
        .map(super::layout::cart_badge_html)
        .collect();
    found.push(only_one(html, Part::CartCount, counts)?);
    let mut placed: Vec<Heart> = Vec::new();
    for heart in hearts {
        // A product shown twice (featured and new on the home page) has one heart html.
        if placed.contains(&heart) {
            continue;
        }
        let shown = crate::catalog::likes::heart_html(&heart);
        let liked = crate::catalog::likes::heart_html(&Heart {
            likes: Likes {
                liked: true,
                ..heart.likes
            },
            ..heart.clone()
        });
        let starts: Vec<usize> = html.match_indices(&shown).map(|(at, _)| at).collect();
        if starts.is_empty() {
            return None;
        }
        for start in starts {
            found.push(Found {
                at: start..start + shown.len(),
                part: Part::Heart(heart.clone()),
                forms: vec![shown.clone(), liked.clone()],
            });
        }
        placed.push(heart);
    }
    found.sort_by_key(|part| part.at.start);
    let apart = found
        .windows(2)
        .all(|pair| pair[0].at.end <= pair[1].at.start);
    apart.then_some(found)
}

fn only_one(html: &str, part: Part, forms: Vec<String>) -> Option<Found> {
    let shown = forms.first()?;
    let mut starts = html.match_indices(shown.as_str()).map(|(at, _)| at);
    let (Some(start), None) = (starts.next(), starts.next()) else {
        return None;
    };
    Some(Found {
        at: start..start + shown.len(),
        part,
        forms,
    })
}

/// What one of a shopper's parts is: one of the kept forms, or rendered for them.
#[derive(Debug, PartialEq, Eq)]
pub enum Fill {
    Kept(usize),
    Rendered(String),
}

/// What the personal parts show to one shopper.
#[derive(Debug)]
pub struct Personal {
    menu: MenuFor,
    cart_count: u32,
    /// For a signed-in shopper, the likes of the page's products as they are now (products nobody
    /// likes are absent); for others, the page's counts stand and nothing is theirs.
    likes: Option<HashMap<i64, Likes>>,
}

impl Personal {
    /// What `shopper` sees on a page showing hearts for `products`: one query for the cart's
    /// count, and one for the hearts when signed in.
    pub async fn of(
        state: &AppState,
        shopper: &Shopper,
        products: &[i64],
    ) -> Result<Personal, AppError> {
        let cart_count = async {
            match shopper.cart_id {
                Some(cart_id) => crate::cart::repo::item_count(&state.db, cart_id).await,
                None => Ok(0),
            }
        };
        let likes = async {
            match &shopper.user {
                Some(user) if !products.is_empty() => {
                    crate::catalog::repo::likes_of(&state.db, Some(user.id), products)
                        .await
                        .map(Some)
                }
                _ => Ok(None),
            }
        };
        let (cart_count, likes) = tokio::try_join!(cart_count, likes)?;
        Ok(Personal {
            menu: MenuFor::of(shopper.user.as_ref()),
            cart_count,
            likes,
        })
    }

    pub fn fill(&self, part: &Part) -> Fill {
        match part {
            Part::AccountMenu => Fill::Kept(
                MenuFor::ALL
                    .iter()
                    .position(|menu| *menu == self.menu)
                    .unwrap_or_default(),
            ),
            Part::CartCount if self.cart_count < KEPT_COUNTS => {
                Fill::Kept(self.cart_count as usize)
            }
            Part::CartCount => Fill::Rendered(super::layout::cart_badge_html(self.cart_count)),
            Part::Heart(heart) => {
                let Some(likes) = &self.likes else {
                    return Fill::Kept(0);
                };
                let now = likes.get(&heart.product_id).copied().unwrap_or_default();
                if now.count == heart.likes.count {
                    Fill::Kept(usize::from(now.liked))
                } else {
                    Fill::Rendered(crate::catalog::likes::heart_html(&Heart {
                        likes: now,
                        ..heart.clone()
                    }))
                }
            }
        }
    }
}

/// The products whose hearts the parts show.
pub fn products_of<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Vec<i64> {
    let mut products: Vec<i64> = parts
        .into_iter()
        .filter_map(|part| match part {
            Part::Heart(heart) => Some(heart.product_id),
            _ => None,
        })
        .collect();
    products.sort_unstable();
    products.dedup();
    products
}
