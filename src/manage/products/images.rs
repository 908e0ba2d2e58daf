//! A product's images as staff manage them: uploaded several at once (a plain file input, or files
//! dropped on it), described for those who cannot see them, put in order (the first is the product's
//! picture in listings) and removed. A published product's images are all described.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use serde::{Deserialize, Serialize};

/// The longest description of an image.
pub const ALT_MAX: usize = 250;
/// The most files one upload takes.
pub const FILES_MAX: usize = 10;
/// The largest upload: `FILES_MAX` files at the largest size an image may have, and the form.
pub const UPLOAD_MAX_BYTES: usize = 10 * 1024 * 1024 * FILES_MAX + 64 * 1024;

/// An image in the product editor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductImage {
    pub id: i64,
    /// The smallest rendition (or the file itself), for the editor's thumbnail.
    pub thumbnail: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

#[cfg(feature = "ssr")]
pub fn check_alt(text: &str) -> Result<String, AppError> {
    let alt = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if alt.chars().count() > ALT_MAX || alt.chars().any(char::is_control) {
        return Err(AppError::bad_request(format!(
            "Describe an image in one line of up to {ALT_MAX} characters."
        )));
    }
    Ok(alt)
}

#[cfg(feature = "ssr")]
impl ProductImage {
    pub fn of(row: super::repo::ImageRow) -> ProductImage {
        let file = crate::server::media::smallest_file(&row.path, &row.renditions);
        ProductImage {
            id: row.id,
            thumbnail: crate::catalog::repo::media_url(&file),
            alt: row.alt,
            width: row.width,
            height: row.height,
        }
    }
}

#[cfg(feature = "ssr")]
inventory::submit! {
    crate::server::http::Upload { path: <UploadProductImages as leptos::server_fn::ServerFn>::PATH, max_bytes: UPLOAD_MAX_BYTES }
}

/// The upload form as it arrived.
#[cfg(feature = "ssr")]
struct Upload {
    product_id: i64,
    alt: String,
    files: Vec<(String, Vec<u8>)>,
}

#[cfg(feature = "ssr")]
async fn read_upload(data: MultipartData) -> Result<Upload, AppError> {
    use crate::server::media::ImageLimits;
    let unreadable = |_| crate::server::http::cut_short();
    let mut form = data
        .into_inner()
        .ok_or_else(|| AppError::bad_request("Send the images as a form."))?;
    let (mut product_id, mut alt, mut files) = (None, String::new(), Vec::new());
    let max_bytes = ImageLimits::default().max_bytes;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "product_id" => {
                product_id = field.text().await.map_err(unreadable)?.trim().parse().ok()
            }
            "alt" => alt = field.text().await.map_err(unreadable)?,
            "images" => {
                let name = field.file_name().unwrap_or("The file").to_owned();
                let bytes =
                    crate::server::http::read_file_part(&mut field, &name, max_bytes).await?;
                // A file input left empty still sends a part, with no name and no bytes.
                if !bytes.is_empty() {
                    files.push((name, bytes));
                }
            }
            _ => {}
        }
    }
    let product_id = product_id.ok_or_else(|| AppError::bad_request("Which product?"))?;
    if files.is_empty() {
        return Err(AppError::bad_request(
            "Choose at least one image to upload.",
        ));
    }
    if files.len() > FILES_MAX {
        return Err(AppError::bad_request(format!(
            "Upload at most {FILES_MAX} images at once."
        )));
    }
    Ok(Upload {
        product_id,
        alt: check_alt(&alt)?,
        files,
    })
}

/// Adds images to a product: each is checked by its content (JPEG, PNG or WebP), decoded under size
/// and pixel limits and stored with its renditions; one file that fails refuses the whole upload.
/// The images of a published product need their description now.
#[server(prefix = "/api/manage", input = MultipartFormData)]
pub async fn upload_product_images(data: MultipartData) -> Result<usize, AppError> {
    use crate::server::media;
    let user = crate::accounts::auth::require(super::api::WRITE).await?;
    let state = crate::server::state()?;
    let upload = read_upload(data).await?;
    let published = |active: bool| active && upload.alt.is_empty();
    // Before the work of decoding: the write below checks again under the product's lock.
    let status = super::repo::status(&state.db, upload.product_id)
        .await?
        .ok_or_else(|| AppError::not_found("That product"))?;
    if published(status == super::ProductStatus::Active) {
        return Err(published_needs_alt());
    }
    let stored = media::store_uploads(state.config.media_dir.clone(), upload.files).await?;

    let mut tx = state.db.begin().await?;
    if !tx
        .lock_row(crate::server::db::Locked::Product, upload.product_id)
        .await?
    {
        return Err(AppError::not_found("That product"));
    }
    if published(super::repo::is_active(&mut tx, upload.product_id).await?) {
        return Err(published_needs_alt());
    }
    let ids = super::repo::add_images(&mut tx, upload.product_id, &stored, &upload.alt).await?;
    let added = serde_json::json!({
        "images": ids.iter().zip(&stored).map(|(id, image)| serde_json::json!({
            "id": id, "path": image.path, "width": image.width, "height": image.height,
        })).collect::<Vec<_>>(),
        "alt": upload.alt,
    });
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Product, upload.product_id),
        crate::accounts::AuditAction::AddImages,
        None,
        Some(added),
    )
    .await?;
    Ok(ids.len())
}

#[cfg(feature = "ssr")]
fn published_needs_alt() -> AppError {
    AppError::bad_request(
        "This product is published, so its images need a description: say what they show.",
    )
}

#[cfg(feature = "ssr")]
async fn image_in(
    tx: &mut crate::server::db::Tx,
    product_id: i64,
    image_id: i64,
) -> Result<super::repo::ImageRow, AppError> {
    tx.lock_row(crate::server::db::Locked::Product, product_id)
        .await?;
    super::repo::image_of(tx, product_id, image_id)
        .await?
        .ok_or_else(|| AppError::not_found("That image"))
}

/// Describes an image, for those who cannot see it and for search engines.
#[server(prefix = "/api/manage")]
pub async fn describe_image(product_id: i64, image_id: i64, alt: String) -> Result<(), AppError> {
    let user = crate::accounts::auth::require(super::api::WRITE).await?;
    let alt = check_alt(&alt)?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    let before = image_in(&mut tx, product_id, image_id).await?;
    if alt.is_empty() && super::repo::is_active(&mut tx, product_id).await? {
        return Err(published_needs_alt());
    }
    super::repo::set_image_alt(&mut tx, image_id, &alt).await?;
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Product, product_id),
        crate::accounts::AuditAction::UpdateImage,
        Some(serde_json::json!({ "image": image_id, "alt": before.alt })),
        Some(serde_json::json!({ "image": image_id, "alt": alt })),
    )
    .await
}

/// Moves an image one place `up` or `down`, or `first`: the product's picture in listings.
#[server(prefix = "/api/manage")]
pub async fn move_image(product_id: i64, image_id: i64, direction: String) -> Result<(), AppError> {
    use crate::manage::Direction;
    let user = crate::accounts::auth::require(super::api::WRITE).await?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    image_in(&mut tx, product_id, image_id).await?;
    let order = super::repo::image_ids(&mut tx, product_id).await?;
    let moved = match direction.as_str() {
        "first" => (order.first() != Some(&image_id)).then(|| {
            std::iter::once(image_id)
                .chain(order.iter().copied().filter(|id| *id != image_id))
                .collect()
        }),
        other => Direction::parse(other)?.apply(order, image_id),
    };
    let Some(order) = moved else {
        return Err(AppError::bad_request("The image is already there."));
    };
    super::repo::order_images(&mut tx, product_id, &order).await?;
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Product, product_id),
        crate::accounts::AuditAction::MoveImage,
        None,
        Some(serde_json::json!({ "image": image_id, "moved": direction, "order": order })),
    )
    .await
}

/// Removes an image from a product; its files go once no image uses them.
#[server(prefix = "/api/manage")]
pub async fn remove_image(product_id: i64, image_id: i64) -> Result<(), AppError> {
    let user = crate::accounts::auth::require(super::api::WRITE).await?;
    let state = crate::server::state()?;
    let mut tx = state.db.begin().await?;
    let before = image_in(&mut tx, product_id, image_id).await?;
    super::repo::delete_image(&mut tx, image_id).await?;
    let order = super::repo::image_ids(&mut tx, product_id).await?;
    super::repo::order_images(&mut tx, product_id, &order).await?;
    crate::manage::commit_audited(
        tx,
        user.id,
        (crate::accounts::AuditEntity::Product, product_id),
        crate::accounts::AuditAction::RemoveImage,
        Some(serde_json::json!(before)),
        None,
    )
    .await
}

// Files of removed images, and of uploads whose save failed, are deleted once nothing uses them.
#[cfg(feature = "ssr")]
inventory::submit! {
    crate::server::jobs::Job {
        name: "remove unused image files",
        schedule: crate::server::jobs::Schedule::Every(|_| std::time::Duration::from_secs(3600)),
        run: |state| Box::pin(sweep(state)),
    }
}

#[cfg(feature = "ssr")]
async fn sweep(state: crate::server::AppState) {
    let used = match super::repo::image_paths(&state.db).await {
        Ok(used) => used,
        Err(error) => {
            tracing::warn!(%error, "image paths could not be read; no files removed");
            return;
        }
    };
    let media_dir = state.config.media_dir.clone();
    let now = state.db.now();
    let removed = tokio::task::spawn_blocking(move || {
        crate::server::media::remove_unused(&media_dir, &used, now, chrono::Duration::hours(1))
    })
    .await
    .unwrap_or(0);
    if removed > 0 {
        tracing::info!(files = removed, "unused image files removed");
    }
}
