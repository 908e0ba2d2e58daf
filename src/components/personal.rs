//! The parts of a catalog page that differ between shoppers: the account menu, the cart count and
//! the hearts. Everything else on the page is the same for everyone, so a shared page
//! (`server::page_cache`) is rendered once, as a visitor without a session sees it, and cut where
//! these parts are; a shopper with a session gets that page with their own parts put in.
//!
//! Every part is rendered by the component that renders it in a page, so it is escaped as the
//! renderer escapes it, and a part is placed by finding its visitor's form in the page: when one
//! cannot be found exactly, the page is not cut and each shopper gets it rendered for them.

use crate::accounts::auth::{Shopper, resolve_shopper_with_lifetime};
use crate::accounts::pages::MenuFor;
use crate::catalog::Likes;
use crate::error::AppError;
use crate::server::AppState;
use crate::server::sessions::stored_id;
use crate::server::shopper_changes::Whose;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::collections::HashSet;
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
    /// For a signed-in shopper, the products they like (of all, or at least of the page's); for
    /// others, none. Counts are the page's: a change to one drops the pages showing it
    /// (migration 0023), so a kept page's counts are those of now.
    liked: Option<HashSet<i64>>,
    /// Whether the session holds a form's success for the next page to say: that page is
    /// rendered, as it takes the note.
    pub awaits_form_outcome: bool,
}

/// A signed-in shopper's likes are remembered whole up to this many; beyond, only those of the
/// page are read, each time.
const LIKES_REMEMBERED: usize = 2_000;

impl Personal {
    /// What `shopper` sees on a page showing hearts for `products`, and whether that holds for
    /// any page (all the shopper's likes were read): one query for the cart's count, and one for
    /// the likes when signed in.
    async fn of(
        state: &AppState,
        shopper: &Shopper,
        products: &[i64],
        awaits_form_outcome: bool,
    ) -> Result<(Personal, bool), AppError> {
        let cart_count = async {
            match shopper.cart_id {
                Some(cart_id) => crate::cart::repo::item_count(&state.db, cart_id).await,
                None => Ok(0),
            }
        };
        let liked = async {
            let Some(user) = &shopper.user else {
                return Ok((None, true));
            };
            let all = crate::catalog::repo::liked_by(&state.db, user.id, LIKES_REMEMBERED).await?;
            match all {
                Some(all) => Ok((Some(all), true)),
                None => crate::catalog::repo::liked_among(&state.db, user.id, products)
                    .await
                    .map(|some| (Some(some), false)),
            }
        };
        let (cart_count, (liked, whole)) = tokio::try_join!(cart_count, liked)?;
        let personal = Personal {
            menu: MenuFor::of(shopper.user.as_ref()),
            cart_count,
            liked,
            awaits_form_outcome,
        };
        Ok((personal, whole))
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
            Part::Heart(heart) => Fill::Kept(usize::from(
                self.liked
                    .as_ref()
                    .is_some_and(|liked| liked.contains(&heart.product_id)),
            )),
        }
    }
}

/// What the shop remembers of each session between its requests (who it is signed in as, its
/// cart's count, its likes), so that a kept page with its shopper's parts costs no query. An
/// answer is kept with the changes it depends on ([`Whose`]) and used only while none of them has
/// been noted since it was read ([`crate::server::shopper_changes`]), and no later than its sign-in
/// grows idle, too old, or due to be marked seen again.
pub struct KnownSessions {
    known: quick_cache::sync::Cache<i128, Arc<Known>, Weight>,
}

struct Known {
    personal: Arc<Personal>,
    read_at: u64,
    depends_on: Vec<Whose>,
    until: DateTime<Utc>,
}

/// Sessions remembered at most, each a few hundred bytes; one holding many likes counts as more.
const SESSIONS_KNOWN: usize = 50_000;

/// What a remembered session weighs: one, and one more for every 64 likes it holds (about as many
/// bytes as the rest), so that shoppers with thousands of likes cannot crowd the memory.
#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<i128, Arc<Known>> for Weight {
    fn weight(&self, _: &i128, known: &Arc<Known>) -> u64 {
        let likes = known.personal.liked.as_ref().map_or(0, HashSet::len);
        1 + u64::try_from(likes / 64).unwrap_or(u64::MAX)
    }
}

impl std::fmt::Debug for KnownSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownSessions")
            .field("sessions", &self.known.len())
            .finish()
    }
}

impl Default for KnownSessions {
    fn default() -> Self {
        KnownSessions {
            known: quick_cache::sync::Cache::with_weighter(
                SESSIONS_KNOWN,
                SESSIONS_KNOWN as u64,
                Weight,
            ),
        }
    }
}

impl KnownSessions {
    /// The parts `session` gets on a page showing hearts for `products`: remembered, or read (and
    /// remembered when they hold for any page). `ip` is the client's, for the sessions list.
    pub async fn personal(
        &self,
        state: &AppState,
        session: &tower_sessions::Session,
        ip: &str,
        products: &[i64],
    ) -> Result<Arc<Personal>, AppError> {
        let changes = state.db.shopper_changes();
        let id = session.id().map(|id| stored_id(&id).0);
        if let Some(known) = id.and_then(|id| self.known.get(&id))
            && state.db.now() < known.until
            && changes.unchanged_since(known.read_at, &known.depends_on)
        {
            return Ok(known.personal.clone());
        }
        let read_at = changes.stamp();
        let awaits_form_outcome = crate::server::http::awaits_form_outcome(session).await;
        let (shopper, lifetime) = resolve_shopper_with_lifetime(state, session, ip).await?;
        let (personal, whole) =
            Personal::of(state, &shopper, products, awaits_form_outcome).await?;
        let personal = Arc::new(personal);
        // A session the store has just made, or not kept, has no id until the response.
        if let (Some(id), true) = (session.id().map(|id| stored_id(&id).0), whole) {
            let mut depends_on = vec![Whose::Session(id)];
            depends_on.extend(shopper.cart_id.map(Whose::Cart));
            depends_on.extend(shopper.user.as_ref().map(|user| Whose::User(user.id)));
            depends_on.extend(lifetime.sign_in.map(Whose::SignIn));
            let known = Known {
                personal: personal.clone(),
                read_at,
                depends_on,
                until: lifetime.until,
            };
            self.known.insert(id, Arc::new(known));
        }
        Ok(personal)
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
