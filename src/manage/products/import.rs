//! Products imported from CSV (the export's columns, [`super::csv::COLUMNS`]). An upload is checked
//! first: every line parsed and validated, and the whole file tried against the catalog a batch at
//! a time in transactions that are rolled back, so its errors (with line numbers) and what it would
//! change are known before anything is written. Applying it is a background job that does the same
//! a batch at a time, committing each batch with the count of products done, so the progress
//! survives a reload and a restart. A product's handle (its address) says which product a line is
//! about and a variant's SKU which variant; what is already as the file says is not written, so
//! importing an export changes nothing.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, MultipartData, MultipartFormData};
use serde::{Deserialize, Serialize};

/// The largest CSV file an import takes.
pub const FILE_MAX_BYTES: usize = 64 * 1024 * 1024;
/// The errors an import keeps, first first.
pub const ERRORS_KEPT: usize = 200;

/// What an import changes (or would).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub new_products: u32,
    pub changed_products: u32,
    pub unchanged_products: u32,
    pub new_variants: u32,
    pub changed_variants: u32,
    pub stock_changes: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: i64,
    pub file_name: String,
    /// refused, checked, queued, applying or applied.
    pub status: String,
    pub lines: i64,
    pub products: i64,
    /// How far the check has got, then how far applying it has.
    pub products_checked: i64,
    pub products_done: i64,
    pub summary: ImportSummary,
    pub errors: Vec<LineError>,
    pub created_at: String,
    pub can_apply: bool,
}

#[cfg(feature = "ssr")]
inventory::submit! {
    crate::server::http::Upload { path: <UploadProductCsv as leptos::server_fn::ServerFn>::PATH, max_bytes: FILE_MAX_BYTES + 64 * 1024 }
}

/// Keeps an uploaded CSV file with its lines' errors, to be checked against the catalog by the
/// background job; goes on to its page, which shows how far that has got.
#[server(prefix = "/api/manage", input = MultipartFormData)]
pub async fn upload_product_csv(data: MultipartData) -> Result<i64, AppError> {
    let user = crate::accounts::auth::require(super::api::WRITE).await?;
    let state = crate::server::state()?;
    let (file_name, content) = read_file(data).await?;
    let categories = super::repo::category_slugs(&state.db).await?;
    let (products, lines, mut errors) = parse(&content, state.settings.shop.currency, &categories);
    errors.truncate(ERRORS_KEPT);
    let parsed = Parsed {
        lines,
        products: products.len() as i64,
        errors,
    };
    let id = super::repo::insert_import(&state.db, user.id, &file_name, &content, &parsed).await?;
    state.jobs.wake();
    leptos_axum::redirect(&format!("/manage/imports/{id}"));
    Ok(id)
}

/// The newest imports.
#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_product_imports() -> Result<Vec<ImportView>, AppError> {
    let user = crate::accounts::auth::require(super::api::READ).await?;
    let state = crate::server::state()?;
    let rows = super::repo::imports(&state.db, None).await?;
    Ok(rows
        .into_iter()
        .map(|row| row.view(user.can(super::api::WRITE)))
        .collect())
}

#[server(prefix = "/api/manage", input = GetUrl)]
pub async fn fetch_product_import(id: i64) -> Result<ImportView, AppError> {
    let user = crate::accounts::auth::require(super::api::READ).await?;
    let state = crate::server::state()?;
    super::repo::imports(&state.db, Some(id))
        .await?
        .pop()
        .map(|row| row.view(user.can(super::api::WRITE)))
        .ok_or_else(|| AppError::not_found("That import"))
}

/// Queues a checked import without errors to be applied.
#[server(prefix = "/api/manage")]
pub async fn apply_product_import(id: i64) -> Result<(), AppError> {
    let user = crate::accounts::auth::require(super::api::WRITE).await?;
    let state = crate::server::state()?;
    let queued = super::repo::queue_import(&state.db, id).await?;
    if !queued {
        return Err(AppError::Conflict(
            "Only a checked import without errors can be applied, once.".into(),
        ));
    }
    tracing::info!(import = id, user = user.id, "product import queued");
    state.jobs.wake();
    Ok(())
}

/// A file as reading it found it.
#[cfg(feature = "ssr")]
pub struct Parsed {
    pub lines: i64,
    pub products: i64,
    pub errors: Vec<LineError>,
}

#[cfg(feature = "ssr")]
async fn read_file(data: MultipartData) -> Result<(String, String), AppError> {
    let unreadable = |_| crate::server::http::cut_short();
    let mut form = data
        .into_inner()
        .ok_or_else(|| AppError::bad_request("Send the file as a form."))?;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("products.csv").to_owned();
        let bytes = crate::server::http::read_file_part(&mut field, &name, FILE_MAX_BYTES).await?;
        if bytes.is_empty() {
            continue;
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| AppError::bad_request(format!("{name} is not UTF-8 text.")))?;
        return Ok((name, text.trim_start_matches('\u{feff}').to_owned()));
    }
    Err(AppError::bad_request("Choose a CSV file to import."))
}

/// A product as the file describes it: its fields and its variants' lines.
#[cfg(feature = "ssr")]
pub struct ProductIn {
    line: u64,
    draft: super::editor::ProductDraft,
    variants: Vec<VariantIn>,
}

#[cfg(feature = "ssr")]
struct VariantIn {
    line: u64,
    draft: super::variants::VariantDraft,
    /// Blank: the stock stays as it is (nothing, for a new variant).
    on_hand: Option<i32>,
}

/// The file's products, in the order they first appear, or its line errors.
#[cfg(feature = "ssr")]
pub fn parse(
    content: &str,
    currency: crate::money::Currency,
    categories: &std::collections::HashSet<String>,
) -> (Vec<ProductIn>, i64, Vec<LineError>) {
    use super::csv::{COLUMNS, CsvLine};
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new().from_reader(content.as_bytes());
    match reader.headers() {
        Ok(header) if header.iter().eq(COLUMNS) => {}
        _ => {
            errors.push(LineError {
                line: 1,
                message: format!(
                    "The first line must name the columns: {}.",
                    COLUMNS.join(",")
                ),
            });
            return (Vec::new(), 0, errors);
        }
    }
    let mut products: Vec<ProductIn> = Vec::new();
    let mut by_handle = std::collections::HashMap::new();
    let mut skus = std::collections::HashMap::new();
    let mut lines = 0;
    let mut record = csv::StringRecord::new();
    loop {
        // The line a record starts on, whatever lines the quoted text before it spans.
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => {
                errors.push(LineError {
                    line,
                    message: "This line could not be read as CSV.".into(),
                });
                break;
            }
        }
        lines += 1;
        let fields: CsvLine = match record.deserialize(None) {
            Ok(fields) => fields,
            Err(_) => {
                errors.push(LineError {
                    line,
                    message: "This line does not have the file's columns.".into(),
                });
                continue;
            }
        };
        let mut fail = |message: String| errors.push(LineError { line, message });
        if fields.handle.trim().is_empty() {
            fail("The handle (the product's address) is empty.".into());
            continue;
        }
        let draft = match (super::editor::ProductFields {
            name: fields.name,
            slug: fields.handle,
            description: fields.description,
            category: fields.category,
            status: fields.status,
            seo_title: fields.seo_title,
            seo_description: fields.seo_description,
        })
        .check()
        {
            Ok(draft) => draft,
            Err(error) => {
                fail(error.to_string());
                continue;
            }
        };
        if !categories.contains(&draft.category) {
            fail(format!("There is no category {}.", draft.category));
            continue;
        }
        let variant = match fields.sku.trim() {
            "" if [
                &fields.variant,
                &fields.price,
                &fields.compare_at,
                &fields.on_hand,
            ]
            .iter()
            .all(|value| value.trim().is_empty()) =>
            {
                None
            }
            "" => {
                fail("A variant needs its SKU.".into());
                continue;
            }
            _ => {
                let checked = super::variants::VariantFields {
                    sku: fields.sku,
                    title: fields.variant,
                    price: fields.price,
                    compare_at: fields.compare_at,
                    low_stock_threshold: fields.low_stock_threshold,
                }
                .check(currency);
                let on_hand = match fields.on_hand.trim() {
                    "" => Ok(None),
                    text => text
                        .parse::<i32>()
                        .ok()
                        .filter(|n| (0..=crate::manage::stock::MAX_ON_HAND).contains(n))
                        .map(Some)
                        .ok_or_else(|| "On hand is a whole number, 0 or more.".to_owned()),
                };
                match (checked, on_hand) {
                    (Ok(draft), Ok(on_hand)) => Some(VariantIn {
                        line,
                        draft,
                        on_hand,
                    }),
                    (Err(error), _) => {
                        fail(error.to_string());
                        continue;
                    }
                    (_, Err(message)) => {
                        fail(message);
                        continue;
                    }
                }
            }
        };
        if let Some(variant) = &variant
            && let Some(first) = skus.insert(variant.draft.sku.clone(), line)
        {
            fail(format!(
                "The SKU {} is on line {first} too.",
                variant.draft.sku
            ));
            continue;
        }
        match by_handle.get(&draft.slug) {
            Some(&index) => {
                let product: &mut ProductIn = &mut products[index];
                if product.draft != draft {
                    fail(format!(
                        "The product's columns differ from line {}, its first line.",
                        product.line
                    ));
                    continue;
                }
                product.variants.extend(variant);
            }
            None => {
                by_handle.insert(draft.slug.clone(), products.len());
                products.push(ProductIn {
                    line,
                    draft,
                    variants: variant.into_iter().collect(),
                });
            }
        }
    }
    (products, lines, errors)
}

/// How many products each transaction takes.
#[cfg(feature = "ssr")]
pub const BATCH: usize = 200;

#[cfg(feature = "ssr")]
const SQLITE_PAUSE: std::time::Duration = std::time::Duration::from_millis(150);

/// What applying one product did.
#[cfg(feature = "ssr")]
#[derive(Default)]
pub struct Change {
    new: bool,
    fields: bool,
    new_variants: u32,
    changed_variants: u32,
    stock: u32,
}

#[cfg(feature = "ssr")]
impl Change {
    pub fn count(&self, summary: &mut ImportSummary) {
        let changed = self.fields || self.new_variants + self.changed_variants + self.stock > 0;
        match (self.new, changed) {
            (true, _) => summary.new_products += 1,
            (false, true) => summary.changed_products += 1,
            (false, false) => summary.unchanged_products += 1,
        }
        summary.new_variants += self.new_variants;
        summary.changed_variants += self.changed_variants;
        summary.stock_changes += self.stock;
    }
}

/// Writes one product as the file has it, inside the caller's transaction: its fields, its
/// variants, their stock (as counted, in the ledger) and an audit entry, only where they differ.
/// Everything that could refuse it is checked before the first write, so a refused product
/// writes nothing.
#[cfg(feature = "ssr")]
pub async fn apply(
    tx: &mut crate::server::db::Tx,
    user_id: Option<i64>,
    product: &ProductIn,
    currency: crate::money::Currency,
) -> Result<Result<Change, Vec<LineError>>, AppError> {
    use super::ProductStatus;
    use super::repo::{self, SlugHolder};
    let mut errors = Vec::new();
    let error = |line: u64, message: String| LineError { line, message };
    let id = match repo::slug_holder(tx, &product.draft.slug).await? {
        Some(SlugHolder::Product(id)) => {
            tx.lock_row(crate::server::db::Locked::Product, id).await?;
            Some(id)
        }
        Some(SlugHolder::FormerlyOf(_)) => {
            return Ok(Err(vec![error(
                product.line,
                format!(
                    "{} is an old address of another product; use that product's handle.",
                    product.draft.slug
                ),
            )]));
        }
        None => None,
    };
    let before = match id {
        Some(id) => repo::draft_in(tx, id).await?,
        None => None,
    };
    // Each variant: the one with its SKU now (if any), checked to be this product's.
    let mut existing = Vec::with_capacity(product.variants.len());
    for variant in &product.variants {
        let state = match repo::sku_holder(tx, &variant.draft.sku).await? {
            Some(variant_id) => repo::variant_state(tx, variant_id)
                .await?
                .map(|state| (variant_id, state)),
            None => None,
        };
        if let Some((_, state)) = &state
            && Some(state.product_id) != id
        {
            errors.push(error(
                variant.line,
                format!("The SKU {} belongs to another product.", variant.draft.sku),
            ));
        }
        if let (Some((_, state)), Some(on_hand)) = (&state, variant.on_hand)
            && on_hand < state.reserved
        {
            errors.push(error(
                variant.line,
                format!(
                    "{} has {} held for unpaid orders; on hand cannot be less.",
                    variant.draft.sku, state.reserved
                ),
            ));
        }
        existing.push(state);
    }
    if product.draft.status == ProductStatus::Active {
        let (variants, undescribed) = match id {
            Some(id) => (
                repo::variant_count(tx, id).await?,
                repo::undescribed_images(tx, id).await?,
            ),
            None => (0, 0),
        };
        let added = existing.iter().filter(|state| state.is_none()).count() as i64;
        if variants + added == 0 {
            errors.push(error(
                product.line,
                "A product without variants cannot be published.".into(),
            ));
        }
        if undescribed > 0 {
            errors.push(error(
                product.line,
                "Describe every image of this product before publishing it.".into(),
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }

    let category_id = repo::category_id(tx, &product.draft.category)
        .await?
        .ok_or(AppError::Internal)?;
    let mut change = Change::default();
    let id = match (id, &before) {
        (Some(id), Some(before)) => {
            if *before != product.draft {
                repo::update(tx, id, before, &product.draft, category_id).await?;
                change.fields = true;
            }
            id
        }
        _ => {
            change.new = true;
            repo::insert(tx, &product.draft, category_id, currency).await?
        }
    };
    for (variant, state) in product.variants.iter().zip(existing) {
        let variant_id = match state {
            Some((variant_id, state)) => {
                let draft = &variant.draft;
                let same = state.title == draft.title
                    && state.price_minor == draft.price.minor
                    && state.compare_at_minor == draft.compare_at.map(|was| was.minor)
                    && state.low_stock_threshold == draft.low_stock_threshold;
                if !same {
                    repo::update_variant(tx, variant_id, draft).await?;
                    change.changed_variants += 1;
                }
                variant_id
            }
            None => {
                change.new_variants += 1;
                repo::insert_variant(tx, id, &variant.draft).await?
            }
        };
        if let Some(on_hand) = variant.on_hand {
            let now_on_hand = repo::on_hand(tx, variant_id).await?;
            if now_on_hand != on_hand {
                let counted = crate::manage::stock::Adjustment {
                    delta: on_hand - now_on_hand,
                    reason: crate::manage::stock::AdjustmentReason::Count,
                    note: "CSV import".into(),
                };
                crate::manage::stock::repo::adjust(tx, variant_id, &counted, user_id)
                    .await?
                    .ok_or_else(|| {
                        AppError::Conflict(format!(
                            "The stock of {} changed while it was imported; import the file again.",
                            variant.draft.sku
                        ))
                    })?;
                change.stock += 1;
            }
        }
    }
    if change.new_variants + change.changed_variants > 0 {
        repo::refresh_price(tx, id).await?;
    }
    if change.new
        || change.fields
        || change.new_variants + change.changed_variants + change.stock > 0
    {
        let described = |draft: &super::editor::ProductDraft| {
            serde_json::json!({
                "name": draft.name, "slug": draft.slug, "category": draft.category,
                "status": draft.status.name(),
            })
        };
        crate::accounts::repo::audit(
            tx,
            crate::accounts::repo::AuditEntry {
                actor_user_id: user_id,
                action: crate::accounts::AuditAction::ImportProduct,
                entity_type: crate::accounts::AuditEntity::Product,
                entity_id: id.to_string(),
                before: before.as_ref().map(described),
                after: Some(serde_json::json!({
                    "product": described(&product.draft),
                    "variants": product.variants.iter().map(|v| &v.draft).collect::<Vec<_>>(),
                })),
                ip: None,
            },
        )
        .await?;
    }
    Ok(Ok(change))
}

// Checks uploaded imports, then applies queued ones, a batch at a time; each batch records how far
// its pass has got (an applied batch in its own transaction), so a restart goes on from there.
#[cfg(feature = "ssr")]
inventory::submit! {
    crate::server::jobs::Job {
        name: "check and apply product imports",
        schedule: crate::server::jobs::Schedule::Every(|_| std::time::Duration::from_secs(5)),
        run: |state| Box::pin(work(state)),
    }
}

#[cfg(feature = "ssr")]
async fn work(state: crate::server::AppState) {
    loop {
        let next = match super::repo::claim_import(&state.db).await {
            Ok(Some(claimed)) => run(&state, claimed).await,
            Ok(None) => return,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = next {
            tracing::error!(%error, "a product import stopped; it goes on when its lease runs out");
            return;
        }
    }
}

/// One pass over a claimed import: the check (each batch rolled back) or the apply (each batch
/// committed), from where the pass got to.
#[cfg(feature = "ssr")]
async fn run(
    state: &crate::server::AppState,
    claimed: super::repo::ClaimedImport,
) -> Result<(), AppError> {
    let categories = super::repo::category_slugs(&state.db).await?;
    let currency = state.settings.shop.currency;
    let (products, _, _) = parse(&claimed.content, currency, &categories);
    let applying = claimed.status == "applying";
    let (mut summary, mut errors) = (claimed.summary, claimed.errors);
    let mut done = claimed.done as usize;
    for (n, batch) in products[done.min(products.len())..]
        .chunks(BATCH)
        .enumerate()
    {
        // SQLite has one writer at a time, and a writer kept waiting retries only every 100 ms or
        // so: a pause as long between batches lets the shop's own writes (a checkout, a sign-in)
        // in, where back-to-back batches would starve them. PostgreSQL locks rows, not the file.
        if n > 0 && state.db.engine() == crate::server::db::Engine::Sqlite {
            tokio::time::sleep(SQLITE_PAUSE).await;
        }
        let mut tx = state.db.begin().await?;
        for product in batch {
            match apply(&mut tx, claimed.user_id, product, currency).await? {
                Ok(change) if !applying => change.count(&mut summary),
                Ok(_) => {}
                Err(found) => errors.extend(found),
            }
        }
        done += batch.len();
        errors.sort_by_key(|error| error.line);
        errors.truncate(ERRORS_KEPT);
        match applying {
            true => {
                super::repo::record_progress(&mut tx, claimed.id, true, done, &summary, &errors)
                    .await?;
                tx.commit().await?;
            }
            false => {
                drop(tx);
                let mut tx = state.db.begin().await?;
                super::repo::record_progress(&mut tx, claimed.id, false, done, &summary, &errors)
                    .await?;
                tx.commit().await?;
            }
        }
    }
    let status = match (applying, errors.is_empty()) {
        (true, _) => "applied",
        (false, true) => "checked",
        (false, false) => "refused",
    };
    super::repo::finish_import(&state.db, claimed.id, status).await?;
    tracing::info!(
        import = claimed.id,
        products = done,
        status,
        "product import pass done"
    );
    Ok(())
}
