//! Products with their variants and stock as CSV: one line per variant (a product without variants
//! has one line with those columns empty), the product's columns repeated on each of its lines.
//! The export streams, a page of products at a time, so a catalog of any size is never held in
//! memory.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, StreamingText, TextStream};
use serde::{Deserialize, Serialize};

/// The header line: [`CsvLine`]'s fields, in its order.
pub const COLUMNS: [&str; 13] = [
    "handle",
    "name",
    "description",
    "category",
    "status",
    "seo_title",
    "seo_description",
    "sku",
    "variant",
    "price",
    "compare_at",
    "low_stock_threshold",
    "on_hand",
];

/// One line of the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvLine {
    /// The product's address, `/p/<handle>`: what ties a line to its product.
    pub handle: String,
    pub name: String,
    pub description: String,
    /// The category's address.
    pub category: String,
    pub status: String,
    pub seo_title: String,
    pub seo_description: String,
    pub sku: String,
    pub variant: String,
    /// Decimal, in the currency's units: `12.50`.
    pub price: String,
    pub compare_at: String,
    pub low_stock_threshold: String,
    pub on_hand: String,
}

/// How many products each query of the export reads.
#[cfg(feature = "ssr")]
const EXPORT_PAGE: i64 = 500;

/// Every product with its variants and stock, as CSV, in the order they were created.
#[server(prefix = "/api/manage", input = GetUrl, output = StreamingText)]
pub async fn export_products() -> Result<TextStream<AppError>, AppError> {
    use axum::http::HeaderValue;
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    crate::accounts::auth::require(super::api::READ).await?;
    let state = crate::server::state()?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response.insert_header(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"products.csv\""),
    );
    let pages = futures::stream::unfold(Some(0_i64), move |after| {
        let db = state.db.clone();
        async move {
            let after = after?;
            let page = match super::repo::export_page(&db, after, EXPORT_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "the product export stopped part-way");
                    return Some((Err(AppError::Internal), None));
                }
            };
            let next = (page.products == EXPORT_PAGE).then_some(page.last_id);
            Some((write_lines(&page.lines, after == 0), next))
        }
    });
    Ok(TextStream::new(pages))
}

/// Lines as CSV text; the header first when `header`.
#[cfg(feature = "ssr")]
fn write_lines(lines: &[CsvLine], header: bool) -> Result<String, AppError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let written = (|| {
        if header {
            writer.write_record(COLUMNS)?;
        }
        lines.iter().try_for_each(|line| writer.serialize(line))
    })();
    written.map_err(|_| AppError::Internal)?;
    let bytes = writer.into_inner().map_err(|_| AppError::Internal)?;
    String::from_utf8(bytes).map_err(|_| AppError::Internal)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_the_fields_in_their_order() {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(CsvLine::default()).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), COLUMNS.join(","));
        assert_eq!(
            write_lines(&[], true).unwrap(),
            format!("{}\n", COLUMNS.join(","))
        );
    }
}
