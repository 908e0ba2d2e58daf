//! Uploaded images: recognised by their content, decoded under limits, stored under `MEDIA_DIR` by the
//! hash of their bytes, with lossy WebP renditions for `srcset`. The work is CPU-bound, so callers run
//! [`prepare`] and [`PreparedImage::write`] off the async threads (`tokio::task::spawn_blocking`).

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::path::Path;

/// The folder under `MEDIA_DIR` that uploads go to.
pub const UPLOADS: &str = "images";

/// The widths renditions are made at, when the image is wider; one more at the image's own width
/// (at most [`LARGEST`]) serves screens wider still.
pub const RENDITION_WIDTHS: [u32; 3] = [320, 640, 1280];
pub const LARGEST: u32 = 1600;

/// What an upload may be.
#[derive(Clone, Copy, Debug)]
pub struct ImageLimits {
    pub max_bytes: usize,
    /// Width times height: what decoding allocates, so what a decompression bomb inflates.
    pub max_pixels: u64,
    pub max_side: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_bytes: 10 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_side: 12_000,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("{0} is not a JPEG, PNG or WebP image.")]
    Unsupported(String),
    #[error("{name} is larger than {limit_mb} MB.")]
    TooLarge { name: String, limit_mb: usize },
    #[error(
        "{name} is {width} × {height} pixels; the most an image may have is {limit} megapixels and {side} pixels a side."
    )]
    TooManyPixels {
        name: String,
        width: u32,
        height: u32,
        limit: u64,
        side: u32,
    },
    #[error("{0} could not be read as an image: it may be damaged or cut short.")]
    Damaged(String),
    #[error("The image could not be saved. Please try again.")]
    Storage,
}

/// An image written under `MEDIA_DIR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredImage {
    /// The original, relative to `MEDIA_DIR`: `images/<hash>.<ext>`.
    pub path: String,
    pub width: u32,
    pub height: u32,
    /// The widths of its WebP renditions, narrowest first.
    pub renditions: Vec<u32>,
}

/// An upload checked, decoded and rendered, not yet written: a form's files are all prepared before
/// any is stored, so one bad file leaves nothing behind.
pub struct PreparedImage {
    stem: String,
    extension: &'static str,
    original: Vec<u8>,
    width: u32,
    height: u32,
    renditions: Vec<(u32, Vec<u8>)>,
}

/// Recognises the image by its content, decodes it under the limits and makes its renditions.
pub fn prepare(
    name: &str,
    bytes: Vec<u8>,
    limits: ImageLimits,
) -> Result<PreparedImage, ImageError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge {
            name: name.to_owned(),
            limit_mb: limits.max_bytes / (1024 * 1024),
        });
    }
    let (format, extension) = match image::guess_format(&bytes) {
        Ok(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "jpg"),
        Ok(ImageFormat::Png) => (ImageFormat::Png, "png"),
        Ok(ImageFormat::WebP) => (ImageFormat::WebP, "webp"),
        _ => return Err(ImageError::Unsupported(name.to_owned())),
    };
    let image = decode(name, &bytes, format, limits)?;
    let (width, height) = (image.width(), image.height());
    let mut widths: Vec<u32> = RENDITION_WIDTHS
        .into_iter()
        .filter(|w| *w < width)
        .collect();
    widths.push(width.min(LARGEST));
    widths.dedup();
    // Widest first, each made from the one before: a small rendition of a large photo then costs
    // a resize of the last rendition, not of the whole picture.
    let mut renditions = Vec::with_capacity(widths.len());
    let mut source = image;
    for target in widths.into_iter().rev() {
        if target != source.width() {
            // The height from the original's proportions, so rounding does not add up down the chain.
            let scaled =
                (u64::from(target) * u64::from(height) + u64::from(width) / 2) / u64::from(width);
            let scaled = u32::try_from(scaled).unwrap_or(u32::MAX).max(1);
            source = source.resize_exact(target, scaled, image::imageops::FilterType::CatmullRom);
        }
        renditions.push((target, encode_webp(&source)));
    }
    renditions.reverse();
    let hash = Sha256::digest(&bytes);
    Ok(PreparedImage {
        stem: hash[..16].iter().map(|b| format!("{b:02x}")).collect(),
        extension,
        original: bytes,
        width,
        height,
        renditions,
    })
}

impl PreparedImage {
    /// Writes the original and its renditions under `MEDIA_DIR`. The same bytes written twice are
    /// one set of files; a failure part-way removes what this call wrote.
    pub fn write(&self, media_dir: &Path) -> Result<StoredImage, ImageError> {
        let dir = media_dir.join(UPLOADS);
        std::fs::create_dir_all(&dir).map_err(storage)?;
        let original = format!("{}.{}", self.stem, self.extension);
        let mut written = Vec::new();
        let result = write_new(&dir.join(&original), &self.original, &mut written).and_then(|()| {
            self.renditions.iter().try_for_each(|(width, webp)| {
                write_new(
                    &dir.join(rendition_name(&self.stem, *width)),
                    webp,
                    &mut written,
                )
            })
        });
        if let Err(error) = result {
            for path in written {
                let _ = std::fs::remove_file(path);
            }
            return Err(error);
        }
        Ok(StoredImage {
            path: format!("{UPLOADS}/{original}"),
            width: self.width,
            height: self.height,
            renditions: self.renditions.iter().map(|(width, _)| *width).collect(),
        })
    }
}

/// Decodes under the limits, turned upright as the camera recorded it.
fn decode(
    name: &str,
    bytes: &[u8],
    format: ImageFormat,
    limits: ImageLimits,
) -> Result<DynamicImage, ImageError> {
    let damaged = |_| ImageError::Damaged(name.to_owned());
    let reader = || ImageReader::with_format(Cursor::new(bytes), format);
    // The header first: an image too large to decode is refused before anything is allocated.
    let (width, height) = reader().into_dimensions().map_err(damaged)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width > limits.max_side
        || height > limits.max_side
    {
        return Err(ImageError::TooManyPixels {
            name: name.to_owned(),
            width,
            height,
            limit: limits.max_pixels / 1_000_000,
            side: limits.max_side,
        });
    }
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_pixels * 4 + 64 * 1024 * 1024);
    let mut reader = reader();
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let orientation = decoder.orientation().map_err(damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode_webp(image: &DynamicImage) -> Vec<u8> {
    const QUALITY: f32 = 80.0;
    match image.color().has_alpha() {
        true => {
            let rgba = image.to_rgba8();
            webp::Encoder::from_rgba(&rgba, rgba.width(), rgba.height())
                .encode(QUALITY)
                .to_vec()
        }
        false => {
            let rgb = image.to_rgb8();
            webp::Encoder::from_rgb(&rgb, rgb.width(), rgb.height())
                .encode(QUALITY)
                .to_vec()
        }
    }
}

/// Writes a file whole (a temporary file renamed into place), so a reader never sees half of one. A
/// name is its content's, so a file already there is left as it is (and not counted as written).
fn write_new(
    path: &Path,
    bytes: &[u8],
    written: &mut Vec<std::path::PathBuf>,
) -> Result<(), ImageError> {
    if path.is_file() {
        return Ok(());
    }
    let temporary = path.with_extension("part");
    std::fs::write(&temporary, bytes).map_err(storage)?;
    std::fs::rename(&temporary, path).map_err(storage)?;
    written.push(path.to_path_buf());
    Ok(())
}

fn storage(error: std::io::Error) -> ImageError {
    tracing::error!(%error, "an uploaded image could not be written under MEDIA_DIR");
    ImageError::Storage
}

fn rendition_name(stem: &str, width: u32) -> String {
    format!("{stem}-{width}.webp")
}

/// The rendition of a stored image at `width`, relative to `MEDIA_DIR`.
pub fn rendition_path(path: &str, width: u32) -> String {
    let stem = path.rsplit_once('.').map_or(path, |(stem, _)| stem);
    format!("{stem}-{width}.webp")
}

/// Removes the upload files no image uses any more (a deleted image's, or those of an upload whose
/// save failed), once they are older than `grace`: an upload between writing its files and saving
/// its row is never swept. The number of files removed.
pub fn remove_unused(
    media_dir: &Path,
    used: &[String],
    now: chrono::DateTime<chrono::Utc>,
    grace: chrono::Duration,
) -> usize {
    let stem_of = |name: &str| -> String {
        let base = name.rsplit('/').next().unwrap_or(name);
        let base = base.split_once('.').map_or(base, |(stem, _)| stem);
        base.split_once('-')
            .map_or(base, |(stem, _)| stem)
            .to_owned()
    };
    let used: std::collections::HashSet<String> = used.iter().map(|path| stem_of(path)).collect();
    let Ok(entries) = std::fs::read_dir(media_dir.join(UPLOADS)) else {
        return 0;
    };
    let cutoff = std::time::SystemTime::from(now - grace);
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified < cutoff);
        if old && !used.contains(&stem_of(&name)) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// An upload's files (name and bytes) checked, rendered and written under `media_dir` on a
/// blocking thread: every file is prepared before any is written, so one that fails refuses them
/// all and leaves nothing behind.
pub async fn store_uploads(
    media_dir: std::path::PathBuf,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<StoredImage>, crate::error::AppError> {
    use crate::error::AppError;
    let stored = tokio::task::spawn_blocking(move || {
        let prepared = files
            .into_iter()
            .map(|(name, bytes)| prepare(&name, bytes, ImageLimits::default()))
            .collect::<Result<Vec<_>, _>>()?;
        prepared
            .iter()
            .map(|image| image.write(&media_dir))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|_| AppError::Internal)?;
    stored.map_err(|error| AppError::bad_request(error.to_string()))
}

/// The file a thumbnail shows: the narrowest rendition, or the original when it has none.
pub fn smallest_file(path: &str, renditions: &str) -> String {
    parse_renditions(renditions)
        .first()
        .map_or_else(|| path.to_owned(), |width| rendition_path(path, *width))
}

/// Rendition widths as stored in the database: `320,640,1280`.
pub fn parse_renditions(text: &str) -> Vec<u32> {
    text.split(',')
        .filter_map(|w| w.trim().parse().ok())
        .collect()
}

pub fn format_renditions(widths: &[u32]) -> String {
    widths
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_image(
        media_dir: &Path,
        name: &str,
        bytes: &[u8],
        limits: ImageLimits,
    ) -> Result<StoredImage, ImageError> {
        prepare(name, bytes.to_vec(), limits)?.write(media_dir)
    }

    /// The files of a stored image: the original and its renditions.
    fn files_of(path: &str, renditions: &[u32]) -> Vec<String> {
        std::iter::once(path.to_owned())
            .chain(renditions.iter().map(|w| rendition_path(path, *w)))
            .collect()
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    fn scratch() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "emporium-media-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_image_is_stored_once_by_content_with_renditions_no_wider_than_it() {
        let dir = scratch();
        let bytes = png(900, 600);
        let stored = store_image(&dir, "lamp.png", &bytes, ImageLimits::default()).unwrap();
        assert_eq!((stored.width, stored.height), (900, 600));
        assert_eq!(stored.renditions, vec![320, 640, 900]);
        assert!(stored.path.starts_with("images/") && stored.path.ends_with(".png"));
        for file in files_of(&stored.path, &stored.renditions) {
            assert!(dir.join(&file).is_file(), "{file}");
        }
        let rendition =
            std::fs::read(dir.join(&files_of(&stored.path, &stored.renditions)[1])).unwrap();
        let decoded = image::load_from_memory(&rendition).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 213));
        assert_eq!(
            store_image(&dir, "again.png", &bytes, ImageLimits::default()).unwrap(),
            stored,
            "the same bytes are the same files"
        );
    }

    #[test]
    fn wrong_broken_and_oversized_files_are_refused_and_leave_nothing_behind() {
        let dir = scratch();
        let limits = ImageLimits::default();
        let refuse = |name: &str, bytes: &[u8]| store_image(&dir, name, bytes, limits).unwrap_err();
        assert_eq!(
            refuse("notes.png", b"just some text, not a picture"),
            ImageError::Unsupported("notes.png".into())
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(
            refuse("a.gif", gif),
            ImageError::Unsupported("a.gif".into())
        );
        let whole = png(64, 64);
        assert_eq!(
            refuse("cut.png", &whole[..whole.len() / 2]),
            ImageError::Damaged("cut.png".into())
        );
        let small = ImageLimits {
            max_bytes: 1024,
            ..limits
        };
        assert!(matches!(
            store_image(&dir, "big.png", &png(300, 300), small).unwrap_err(),
            ImageError::TooLarge { .. }
        ));
        let left: Vec<_> = std::fs::read_dir(dir.join(UPLOADS))
            .map(|entries| entries.flatten().collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{left:?}");
    }
}
