//! View pieces shared by every feature: the shell's header and footer, product grids, error and
//! not-found panels.

mod form;
mod layout;
#[cfg(feature = "ssr")]
pub mod personal;
mod product;

pub use form::{Field, FormFeedback, PathFeedback, Submit};
pub use layout::{Footer, Header, NotFound};
pub use product::{ProductCardView, ProductGrid};

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

/// The shop's public identity from its site settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopInfo {
    pub name: String,
    pub tagline: String,
    /// The shop's public address without a trailing slash, for canonical and shared links.
    pub public_url: String,
}

/// Loaded once per page render and shared through context.
pub type ShopResource = Resource<Result<ShopInfo, AppError>>;

#[server(input = GetUrl)]
pub async fn fetch_shop_info() -> Result<ShopInfo, AppError> {
    let state = crate::server::state()?;
    Ok(ShopInfo {
        name: state.settings.shop.name.clone(),
        tagline: state.settings.shop.tagline.clone(),
        public_url: state.config.public_url.clone(),
    })
}

/// A page's title, description, canonical address and OpenGraph card.
#[component]
pub fn PageMeta(
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    /// The shop's public address ([`ShopInfo::public_url`]).
    #[prop(into)]
    public_url: String,
    /// The page's path and query, such as `/p/mug`.
    #[prop(into)]
    path: String,
    /// A path under the shop, such as an image in `/media`.
    #[prop(optional_no_strip)]
    image: Option<String>,
    #[prop(default = "website")] kind: &'static str,
) -> impl IntoView {
    use leptos_meta::{Link, Meta, Title};
    let url = format!("{public_url}{path}");
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=description.clone() />
        <Link rel="canonical" href=url.clone() />
        <Meta property="og:type" content=kind />
        <Meta property="og:title" content=title />
        <Meta property="og:description" content=description />
        <Meta property="og:url" content=url />
        {image.map(|image| view! { <Meta property="og:image" content=format!("{public_url}{image}") /> })}
    }
}

/// A failed load, told in the shop's words, with the matching HTTP status on the server.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(error.status());
    view! {
        <section role="alert" class="mx-auto my-16 max-w-xl rounded-lg border border-red-200 bg-red-50 p-6 text-red-900">
            <h1 class="text-xl font-semibold">"Sorry, that did not work"</h1>
            <p class="mt-2">{error.to_string()}</p>
            <a class="mt-4 inline-block font-medium underline" href="/">"Back to the shop"</a>
        </section>
    }
}
