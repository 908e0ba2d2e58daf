//! The build's hashed files (CSS, JS, WASM and their precompressed copies) served from memory.
//!
//! They are read once at start: a hashed name never changes what it holds, and together they are a
//! few hundred kilobytes. Serving a file from disk takes a blocking-pool round trip for each open,
//! metadata and read, and each request opened up to three files (the asset and its `.br` and
//! `.gz`), so a 5 KB stylesheet cost more than a rendered page (docs/performance.md). A name not
//! read at start (a file `cargo leptos watch` wrote since) is left to the caller to find on disk.

use super::page_cache::accepted_encodings;
use axum::body::{Body, Bytes};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::path::Path;

pub const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// One copy of a file: its bytes and their entity tag.
#[derive(Debug)]
struct Copy {
    bytes: Bytes,
    etag: HeaderValue,
}

impl Copy {
    fn of(bytes: Bytes, encoding: &str) -> Copy {
        Copy {
            etag: etag(&bytes, encoding),
            bytes,
        }
    }
}

#[derive(Debug)]
struct Asset {
    content_type: HeaderValue,
    plain: Copy,
    brotli: Option<Copy>,
    gzip: Option<Copy>,
}

/// The files under one directory, by their path below it.
#[derive(Debug, Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
}

impl Assets {
    /// Reads every file under `dir`, with the `.br` and `.gz` beside each when the build made them.
    pub fn load(dir: &Path) -> std::io::Result<Assets> {
        let mut read: HashMap<String, Bytes> = HashMap::new();
        read_files(dir, "", &mut read)?;
        let files = read
            .iter()
            .filter(|(name, _)| !name.ends_with(".br") && !name.ends_with(".gz"))
            .map(|(name, plain)| {
                let content_type = mime_guess::from_path(name).first_or_octet_stream();
                let asset = Asset {
                    content_type: HeaderValue::from_str(content_type.essence_str())
                        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                    plain: Copy::of(plain.clone(), ""),
                    brotli: read
                        .get(&format!("{name}.br"))
                        .map(|bytes| Copy::of(bytes.clone(), "br")),
                    gzip: read
                        .get(&format!("{name}.gz"))
                        .map(|bytes| Copy::of(bytes.clone(), "gz")),
                };
                (name.clone(), asset)
            })
            .collect();
        Ok(Assets { files })
    }

    /// The file called `name`, in the best encoding the request accepts of those kept, or 304 when
    /// the client already holds that copy; `None` when no such file was read.
    pub fn response(&self, name: &str, request: &HeaderMap) -> Option<Response> {
        let asset = self.files.get(name)?;
        let accepted = accepted_encodings(request);
        let (encoding, copy) = match (&asset.brotli, &asset.gzip) {
            (Some(brotli), _) if accepted.brotli => (Some("br"), brotli),
            (_, Some(gzip)) if accepted.gzip => (Some("gzip"), gzip),
            _ => (None, &asset.plain),
        };
        let mut response = if holds(request, &copy.etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Body::from(copy.bytes.clone()).into_response()
        };
        let headers = response.headers_mut();
        if let Some(encoding) = encoding {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        headers.insert(CONTENT_TYPE, asset.content_type.clone());
        headers.insert(ETAG, copy.etag.clone());
        headers.insert(CACHE_CONTROL, IMMUTABLE);
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        Some(response)
    }
}

fn read_files(dir: &Path, prefix: &str, read: &mut HashMap<String, Bytes>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            read_files(&entry.path(), &format!("{prefix}{name}/"), read)?;
        } else if kind.is_file() {
            read.insert(
                format!("{prefix}{name}"),
                std::fs::read(entry.path())?.into(),
            );
        }
    }
    Ok(())
}

/// A strong validator of one copy: the first 16 bytes of its SHA-256 in hex, and its encoding.
fn etag(bytes: &[u8], encoding: &str) -> HeaderValue {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let tag = match encoding {
        "" => format!("\"{hex}\""),
        _ => format!("\"{hex}-{encoding}\""),
    };
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` is `*` or names `etag`, compared weakly as RFC 9110 has it for this
/// header.
fn holds(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::ACCEPT_ENCODING;

    fn headers(pairs: &[(axum::http::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
            .collect()
    }

    #[tokio::test]
    async fn each_client_gets_the_best_copy_it_accepts_and_a_304_when_it_holds_it() {
        let dir = std::env::temp_dir().join(format!("emporium-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("snippets")).unwrap();
        std::fs::write(dir.join("app.1a2b.css"), "body{}").unwrap();
        std::fs::write(dir.join("app.1a2b.css.br"), "brotli").unwrap();
        std::fs::write(dir.join("app.1a2b.js"), "let a").unwrap();
        std::fs::write(dir.join("app.1a2b.js.gz"), "gzip").unwrap();
        std::fs::write(dir.join("snippets/inline0.js"), "export {}").unwrap();
        let assets = Assets::load(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        let body = async |response: Response| {
            axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap()
        };
        let browser = headers(&[(ACCEPT_ENCODING, "gzip, br")]);
        let css = assets.response("app.1a2b.css", &browser).unwrap();
        assert_eq!(css.headers()[CONTENT_ENCODING], "br");
        assert_eq!(css.headers()[CONTENT_TYPE], "text/css");
        assert_eq!(css.headers()[CACHE_CONTROL], IMMUTABLE);
        let etag = css.headers()[ETAG].clone();
        assert_eq!(body(css).await, "brotli");

        let js = assets.response("app.1a2b.js", &browser).unwrap();
        assert_eq!(js.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(body(js).await, "gzip");
        let refuses_gzip = headers(&[(ACCEPT_ENCODING, "br, gzip;q=0")]);
        let js = assets.response("app.1a2b.js", &refuses_gzip).unwrap();
        assert!(!js.headers().contains_key(CONTENT_ENCODING));
        assert_eq!(body(js).await, "let a");
        let snippet = assets.response("snippets/inline0.js", &browser).unwrap();
        assert_eq!(snippet.headers()[CONTENT_TYPE], "text/javascript");

        let plain = assets.response("app.1a2b.css", &HeaderMap::new()).unwrap();
        assert!(!plain.headers().contains_key(CONTENT_ENCODING));
        assert_ne!(plain.headers()[ETAG], etag, "each copy has its own tag");
        assert_eq!(body(plain).await, "body{}");

        let weakened =
            HeaderValue::from_str(&format!("\"other\", W/{}", etag.to_str().unwrap())).unwrap();
        for held in [etag.clone(), weakened] {
            let mut again = browser.clone();
            again.insert(IF_NONE_MATCH, held);
            let not_modified = assets.response("app.1a2b.css", &again).unwrap();
            assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
            assert_eq!(not_modified.headers()[ETAG], etag);
            assert_eq!(body(not_modified).await, "");
            again.remove(ACCEPT_ENCODING);
            let other_copy = assets.response("app.1a2b.css", &again).unwrap();
            assert_eq!(other_copy.status(), StatusCode::OK, "it holds another copy");
        }

        assert!(assets.response("app.1a2b.css.br", &browser).is_none());
        assert!(assets.response("missing.js", &browser).is_none());
    }
}
