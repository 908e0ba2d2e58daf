//! Emporium: a server-rendered web shop. The same crate builds the server (feature `ssr`) and the
//! browser bundle that hydrates the interactive parts of its pages, its islands (feature `hydrate`).

// Leptos views are nested generic types; without erased components (release builds) the page types
// are deeper than the default limit.
#![recursion_limit = "256"]

pub mod accounts;
pub mod app;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod components;
pub mod error;
pub mod manage;
pub mod money;
pub mod orders;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
