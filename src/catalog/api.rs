//! Catalog server functions: who is asking, what they asked for, the repository's answer.

use super::HomeContent;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn fetch_home() -> Result<HomeContent, AppError> {
    use super::repo;
    let state = crate::server::state()?;
    let catalog = &state.settings.catalog;
    let (featured, new_arrivals, categories) = tokio::try_join!(
        repo::featured(&state.db, i64::from(catalog.home_featured)),
        repo::newest(&state.db, i64::from(catalog.home_new_arrivals)),
        repo::category_tree(&state.db),
    )?;
    Ok(HomeContent {
        featured,
        new_arrivals,
        categories,
    })
}
