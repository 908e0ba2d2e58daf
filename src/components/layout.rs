use super::ShopResource;
use crate::accounts::api::{SignOut, current_account};
use crate::accounts::pages::{MenuFor, account_links};
use crate::cart::api::cart_count;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

#[component]
fn ShopName() -> impl IntoView {
    let shop = expect_context::<ShopResource>();
    view! {
        <Suspense>
            {move || Suspend::new(async move { shop.await.map(|shop| shop.name).unwrap_or_default() })}
        </Suspense>
    }
}

#[component]
pub fn Header() -> impl IntoView {
    let count = Resource::new(|| (), |()| cart_count());
    view! {
        <a
            href="#main"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
        >
            "Skip to content"
        </a>
        <header class="border-b border-stone-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-4 py-3">
                <a href="/" class="text-xl font-bold tracking-tight text-stone-900">
                    <ShopName />
                </a>
                <form action="/products" method="get" role="search" class="order-last flex w-full gap-2 sm:order-none sm:w-auto sm:flex-1">
                    <label for="site-search" class="sr-only">"Search products"</label>
                    <input
                        id="site-search"
                        name="q"
                        type="search"
                        placeholder="Search products"
                        autocomplete="off"
                        class="w-full rounded-md border border-stone-300 px-3 py-2 text-stone-900 placeholder:text-stone-500"
                    />
                    <button type="submit" class="rounded-md bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700">
                        "Search"
                    </button>
                </form>
                <nav aria-label="Account and cart" class="ml-auto flex items-center gap-4">
                    <Suspense fallback=|| view! { <a href="/account" class=ACCOUNT_LINK>"Account"</a> }>
                        {move || Suspend::new(async move {
                            let user = current_account().await.ok().flatten();
                            view! { <MenuOf menu=MenuFor::of(user.as_ref()) /> }
                        })}
                    </Suspense>
                    <a href="/cart" class="flex items-center gap-1 font-medium text-stone-900 hover:underline">
                        "Cart"
                        <Suspense fallback=|| view! { <CartBadge count=0 /> }>
                            {move || Suspend::new(async move {
                                view! { <CartBadge count=count.await.unwrap_or(0) /> }
                            })}
                        </Suspense>
                    </a>
                </nav>
            </div>
        </header>
    }
}

/// The header's account menu and cart count as a page shows them, for the shared pages that
/// are cut where they are (`components::personal`).
#[cfg(feature = "ssr")]
pub(crate) fn account_menu_html(menu: MenuFor) -> String {
    super::personal::render_html(move || view! { <MenuOf menu /> })
}

#[cfg(feature = "ssr")]
pub(crate) fn cart_badge_html(count: u32) -> String {
    super::personal::render_html(move || view! { <CartBadge count /> })
}

#[component]
fn MenuOf(menu: MenuFor) -> impl IntoView {
    let links = account_links(menu)
        .into_iter()
        .map(|(label, href)| (label.to_owned(), href.to_owned()))
        .collect();
    view! { <AccountMenu links signed_in=menu != MenuFor::SignedOut /> }
}

#[component]
fn CartBadge(count: u32) -> impl IntoView {
    let label = match count {
        1 => "1 item in cart".to_owned(),
        n => format!("{n} items in cart"),
    };
    view! {
        <span data-testid="cart-count" class="rounded-full bg-stone-900 px-2 text-sm text-white" aria-label=label>
            {count}
        </span>
    }
}

const ACCOUNT_LINK: &str = "font-medium text-stone-900 hover:underline";

/// Without JavaScript the button is a link to the account page; with it, it opens a menu in place.
/// `links` are the entries for whoever is signed in; the page hands them over, so the menu changes
/// with the page when someone signs in or out.
#[island]
fn AccountMenu(links: Vec<(String, String)>, signed_in: bool) -> impl IntoView {
    let (open, set_open) = signal(false);
    Effect::new(move || {
        // Tells the page's script and browser tests that the islands are live.
        let _ = document()
            .document_element()
            .map(|root| root.set_attribute("data-hydrated", "true"));
    });
    // The page changes in place (src/navigation.js); a menu left open would cover the new one.
    let closer = window_event_listener_untyped("shop:navigated", move |_| set_open.set(false));
    on_cleanup(move || closer.remove());
    view! {
        <div
            class="relative"
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    set_open.set(false);
                }
            }
        >
            <a
                href="/account"
                id="account-menu-button"
                role="button"
                aria-haspopup="menu"
                aria-controls="account-menu"
                aria-expanded=move || open.get().to_string()
                class=ACCOUNT_LINK
                on:click=move |event| {
                    event.prevent_default();
                    set_open.update(|open| *open = !*open);
                }
            >
                "Account"
            </a>
            <ul
                id="account-menu"
                role="menu"
                aria-labelledby="account-menu-button"
                hidden=move || !open.get()
                class="absolute right-0 z-20 mt-2 w-48 rounded-md border border-stone-200 bg-white py-1 shadow-lg"
            >
                {links.into_iter().map(|(label, href)| view! {
                    <li role="none">
                        <a role="menuitem" href=href class="block px-4 py-2 text-stone-900 hover:bg-stone-100">{label}</a>
                    </li>
                }).collect_view()}
                {signed_in.then(|| view! {
                    <li role="none">
                        <form method="post" action=SignOut::PATH>
                            <button type="submit" role="menuitem" class="block w-full px-4 py-2 text-left text-stone-900 hover:bg-stone-100">"Sign out"</button>
                        </form>
                    </li>
                })}
            </ul>
        </div>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="mt-16 border-t border-stone-200 bg-stone-50">
            <div class="mx-auto flex max-w-6xl flex-col gap-2 px-4 py-8 text-sm text-stone-700 sm:flex-row sm:justify-between">
                <p>
                    <span>
                        <ShopName />
                    </span>
                    <span>" · Prices include VAT · Free returns within 30 days"</span>
                </p>
                <nav aria-label="Footer">
                    <ul class="flex gap-4">
                        <li><a class="hover:underline" href="/products">"All products"</a></li>
                        <li><a class="hover:underline" href="/account">"Your account"</a></li>
                    </ul>
                </nav>
            </div>
        </footer>
    }
}

/// The styled 404 page, answered with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(404);
    view! {
        <Title text="Page not found" />
        <section class="mx-auto my-16 max-w-xl px-4 text-center">
            <p class="text-sm font-semibold uppercase tracking-wider text-stone-600">"404"</p>
            <h1 class="mt-2 text-3xl font-semibold text-stone-900">"Page not found"</h1>
            <p class="mt-3 text-stone-700">"The page you asked for is not here. It may have moved, or the link may be mistyped."</p>
            <a class="mt-6 inline-block rounded-md bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700" href="/">
                "Back to the shop"
            </a>
        </section>
    }
}
