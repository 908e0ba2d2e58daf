//! The HTML shell and the route table.

use crate::accounts::pages::{
    AccountPage, ConfirmEmailPage, ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage,
};
use crate::cart::pages::CartPage;
use crate::catalog::pages::{CategoryPage, HomePage, ProductPage, ProductsPage};
use crate::checkout::pages::CheckoutPage;
use crate::components::{Footer, Header, NotFound, ShopResource, fetch_shop_info};
use crate::manage::audit::pages::AuditLogPage;
use crate::manage::categories::pages::{CategoriesPage, CategoryEditorPage, NewCategoryPage};
use crate::manage::pages::{ManageHome, ManageLayout, UserPage, UsersPage};
use crate::manage::products::editor_pages::{NewProductPage, ProductEditorPage};
use crate::manage::products::import_pages::{ImportPage, ImportsPage};
use crate::manage::products::pages::ProductsTablePage;
use crate::manage::stock::pages::{StockPage, VariantStockPage};
use crate::orders::pages::{AccountOrdersPage, OrderPage};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

/// The document around every page; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options islands=true />
                <script nonce=leptos::nonce::use_nonce() inner_html=navigation_script()></script>
                <MetaTags />
            </head>
            <body class="min-h-screen bg-white text-stone-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// navigation.js as every page carries it: without the comment lines and indentation, which are for
/// its readers. Line breaks stay, so the script means the same.
fn navigation_script() -> &'static str {
    static SCRIPT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        include_str!("navigation.js")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    &SCRIPT
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let shop: ShopResource = Resource::new_blocking(|| (), |()| fetch_shop_info());
    provide_context(shop);
    view! {
        <Router>
            <Header />
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=StaticSegment("products") view=ProductsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("c"), ParamSegment("slug")) view=CategoryPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("p"), ParamSegment("slug")) view=ProductPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("cart") view=CartPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("checkout") view=CheckoutPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("orders"), ParamSegment("number")) view=OrderPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("account"), StaticSegment("orders")) view=AccountOrdersPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("account"), StaticSegment("signup")) view=SignUpPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("account"), StaticSegment("login")) view=SignInPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("account"), StaticSegment("forgot")) view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("account"), StaticSegment("reset"), ParamSegment("token")) view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("account"), StaticSegment("verify"), ParamSegment("token")) view=ConfirmEmailPage ssr=SsrMode::Async />
                    <ParentRoute path=StaticSegment("manage") view=ManageLayout ssr=SsrMode::Async>
                        <Route path=StaticSegment("") view=ManageHome />
                        <Route path=StaticSegment("users") view=UsersPage />
                        <Route path=(StaticSegment("users"), ParamSegment("id")) view=UserPage />
                        <Route path=StaticSegment("products") view=ProductsTablePage />
                        <Route path=(StaticSegment("products"), StaticSegment("new")) view=NewProductPage />
                        <Route path=(StaticSegment("products"), ParamSegment("id")) view=ProductEditorPage />
                        <Route path=StaticSegment("imports") view=ImportsPage />
                        <Route path=(StaticSegment("imports"), ParamSegment("id")) view=ImportPage />
                        <Route path=StaticSegment("categories") view=CategoriesPage />
                        <Route path=(StaticSegment("categories"), StaticSegment("new")) view=NewCategoryPage />
                        <Route path=(StaticSegment("categories"), ParamSegment("id")) view=CategoryEditorPage />
                        <Route path=StaticSegment("inventory") view=StockPage />
                        <Route path=StaticSegment("audit") view=AuditLogPage />
                        <Route path=(StaticSegment("inventory"), ParamSegment("variant_id")) view=VariantStockPage />
                    </ParentRoute>
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}
