//! Whole catalog pages for visitors without a session, kept rendered and compressed.
//!
//! A visitor with no session cookie has no cart, no sign-in and no hearts of their own, so every such
//! visitor sees the same page at the same URL. The home page, listings, categories and product pages
//! they get are rendered once, compressed once (brotli and gzip; for clients that accept neither,
//! decompressed once when the first of them asks), and served from memory until the
//! catalog changes, exactly as the catalog cache's entries are (they share it, under [`Key::Page`]).
//! A page is kept with whose stock the catalog entries it was made of show ([`PageContents`]), so a
//! stock change drops it only when it shows that product. Like counts are not part of the catalog's
//! version, so a page is also rendered
//! again once it is `shared_page_max_age_secs` (Leptos.toml) old, in the background while the old
//! one is still served: about that long is how late a signed-out visitor can see another
//! shopper's like. Prices and stock are never late.
//!
//! A shopper with a session (a cart, a sign-in, a like kept for after sign-in) gets the same page
//! with their own account menu, cart count and hearts put in ([`crate::components::personal`]): the
//! kept page is cut where those parts are, each piece compressed on its own, and their page is put
//! together from the pieces and their parts without rendering or compressing it again
//! ([`personalise`]). Only the listing of the shopper's own liked products is theirs alone.
//!
//! A nonce-based Content-Security-Policy cannot be shared between responses, so a kept page drops
//! its nonces and carries a policy naming the SHA-256 hash of each of its inline scripts instead.

use super::AppState;
use crate::catalog::cache::{Key, PageContents, Shown, Version};
use crate::components::personal::{self, Fill, Found, HeartsShown, Part, Personal};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, COOKIE, SET_COOKIE, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos_router::params::ParamsMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Longest page read back to keep; a listing page is about 40 KB before compression.
const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Longest path and query kept: longer ones are rendered every time rather than fill the cache.
const KEY_LIMIT: usize = 512;

/// A rendered page, compressed both ways a browser accepts.
#[derive(Debug)]
pub struct CachedPage {
    made: Instant,
    /// Set once a request has started rendering this page's successor.
    refreshing: AtomicBool,
    headers: HeaderMap,
    brotli: Bytes,
    gzip: Bytes,
    /// The page as rendered, kept once a client that accepts no compression has asked for it: most
    /// pages are never asked for that way, and it is four times the size of both others.
    plain: OnceLock<Bytes>,
    /// The page cut where its personal parts are, for shoppers with a session; none when they
    /// could not all be placed, and such shoppers get the page rendered for them.
    personal: Option<Template>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl CachedPage {
    /// Whether the page is `max_age` old at `now` and nobody is renewing it yet; the one caller
    /// that gets `true` renews it, and clears `refreshing` again if that fails.
    fn claim_renewal(&self, now: Instant, max_age: Duration) -> bool {
        now.saturating_duration_since(self.made) >= max_age
            && !self.refreshing.swap(true, Ordering::AcqRel)
    }

    /// The page uncompressed, from the gzip copy the first time.
    fn plain(&self) -> Option<Bytes> {
        if let Some(plain) = self.plain.get() {
            return Some(plain.clone());
        }
        let mut html = Vec::with_capacity(self.gzip.len() * 4);
        if let Err(error) = flate2::read::GzDecoder::new(&self.gzip[..]).read_to_end(&mut html) {
            tracing::error!(%error, "a kept page could not be decompressed");
            return None;
        }
        Some(self.plain.get_or_init(|| html.into()).clone())
    }

    fn response(&self, encoding: Encoding) -> Response {
        let (name, body) = match encoding {
            Encoding::Brotli => (Some("br"), self.brotli.clone()),
            Encoding::Gzip => (Some("gzip"), self.gzip.clone()),
            Encoding::Identity => match self.plain() {
                Some(plain) => (None, plain),
                None => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            },
        };
        let mut response = Body::from(body).into_response();
        *response.headers_mut() = self.headers.clone();
        let headers = response.headers_mut();
        if let Some(name) = name {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        // The same for every visitor, and current only until the catalog changes: a browser may
        // keep it for back and forward, but asks again before showing it anew.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }

    /// The page with one shopper's parts put in: gzip (put together from the pieces) when the
    /// client takes it, else as it is. Private, so it carries no shared cache policy.
    fn personal_response(
        &self,
        template: &Template,
        personal: &Personal,
        accepted: Accepted,
    ) -> Response {
        let chosen = template.choose(personal);
        let (body, coding) = match accepted.gzip {
            true => (gzip_of(&chosen), Some("gzip")),
            false => (plain_of(&chosen), None),
        };
        let mut response = Body::from(body).into_response();
        *response.headers_mut() = self.headers.clone();
        if let Some(coding) = coding {
            response
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        response
    }
}

/// A kept page cut where its personal parts are: the pieces between them and every kept form of
/// each part, each deflated on its own and ending on a byte boundary, so that a shopper's page is
/// their concatenation.
#[derive(Debug)]
struct Template {
    /// One more than the parts: piece, part, piece, ..., piece.
    pieces: Vec<Piece>,
    parts: Vec<(Part, Vec<Piece>)>,
    /// The products whose hearts the page shows.
    products: Vec<i64>,
}

#[derive(Debug)]
struct Piece {
    plain: Bytes,
    /// Raw deflate, flushed (not finished): it can be followed by more blocks.
    deflated: Bytes,
}

enum Chosen<'a> {
    Kept(&'a Piece),
    Rendered(String),
}

impl Piece {
    fn new(text: &str) -> Option<Piece> {
        let mut encoder = flate2::write::DeflateEncoder::new(
            Vec::with_capacity(text.len() / 3 + 16),
            flate2::Compression::new(6),
        );
        encoder.write_all(text.as_bytes()).ok()?;
        // A sync flush ends the blocks written so far on a byte boundary without ending the stream.
        encoder.flush().ok()?;
        Some(Piece {
            plain: Bytes::copy_from_slice(text.as_bytes()),
            deflated: Bytes::copy_from_slice(encoder.get_ref()),
        })
    }
}

impl Template {
    fn new(html: &str, found: Vec<Found>) -> Option<Template> {
        let mut pieces = Vec::with_capacity(found.len() + 1);
        let mut parts = Vec::with_capacity(found.len());
        let mut at = 0;
        for Found {
            at: place,
            part,
            forms,
        } in found
        {
            pieces.push(Piece::new(html.get(at..place.start)?)?);
            let forms = forms
                .iter()
                .map(|form| Piece::new(form))
                .collect::<Option<Vec<Piece>>>()?;
            parts.push((part, forms));
            at = place.end;
        }
        pieces.push(Piece::new(html.get(at..)?)?);
        let products = personal::products_of(parts.iter().map(|(part, _)| part));
        Some(Template {
            pieces,
            parts,
            products,
        })
    }

    fn choose(&self, personal: &Personal) -> Vec<Chosen<'_>> {
        let mut chosen = Vec::with_capacity(self.pieces.len() + self.parts.len());
        for (piece, (part, forms)) in self.pieces.iter().zip(&self.parts) {
            chosen.push(Chosen::Kept(piece));
            chosen.push(match personal.fill(part) {
                Fill::Kept(form) => match forms.get(form).or(forms.first()) {
                    Some(form) => Chosen::Kept(form),
                    None => Chosen::Rendered(String::new()),
                },
                Fill::Rendered(html) => Chosen::Rendered(html),
            });
        }
        if let Some(last) = self.pieces.last() {
            chosen.push(Chosen::Kept(last));
        }
        chosen
    }
}

/// A gzip member made of the chosen pieces' deflated blocks, with parts rendered for this shopper
/// stored uncompressed (they are a few hundred bytes), ended by an empty last block.
fn gzip_of(chosen: &[Chosen<'_>]) -> Bytes {
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    const LAST_BLOCK: [u8; 5] = [1, 0, 0, 0xff, 0xff];
    let size: usize = chosen
        .iter()
        .map(|chosen| match chosen {
            Chosen::Kept(piece) => piece.deflated.len(),
            Chosen::Rendered(html) => html.len() + 5 * (html.len() / 0xffff + 1),
        })
        .sum();
    let mut out = Vec::with_capacity(HEADER.len() + size + LAST_BLOCK.len() + 8);
    out.extend_from_slice(&HEADER);
    let mut crc = crc32fast::Hasher::new();
    let mut length: u64 = 0;
    for chosen in chosen {
        match chosen {
            Chosen::Kept(piece) => {
                out.extend_from_slice(&piece.deflated);
                // Checksumming the text again (a few microseconds for a page) is cheaper than
                // combining the pieces' checksums, which costs microseconds for each.
                crc.update(&piece.plain);
                length += piece.plain.len() as u64;
            }
            Chosen::Rendered(html) => {
                for block in html.as_bytes().chunks(0xffff) {
                    let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
                    out.push(0);
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(&(!len).to_le_bytes());
                    out.extend_from_slice(block);
                }
                crc.update(html.as_bytes());
                length += html.len() as u64;
            }
        }
    }
    out.extend_from_slice(&LAST_BLOCK);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // The size modulo 2^32, as gzip keeps it.
    out.extend_from_slice(&(length as u32).to_le_bytes());
    out.into()
}

fn plain_of(chosen: &[Chosen<'_>]) -> Bytes {
    let mut out = Vec::new();
    for chosen in chosen {
        match chosen {
            Chosen::Kept(piece) => out.extend_from_slice(&piece.plain),
            Chosen::Rendered(html) => out.extend_from_slice(html.as_bytes()),
        }
    }
    out.into()
}

/// The middleware, outside the session layer: serves a kept page when there is a current one,
/// otherwise renders it and keeps it when it can be shared. A request with a session goes on with
/// the kept page, rendered for a visitor without one if need be, for [`personalise`] to finish.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let max_age = state.settings.catalog.shared_page_max_age_secs;
    let (Some(page), true) = (page_of(&request), max_age > 0) else {
        return next.run(request).await;
    };
    if !page.for_everyone {
        return next.run(request).await;
    }
    let with_session = super::sessions::carries_session(request.headers());
    let encoding = preferred_encoding(request.headers());
    let key = Key::Page(page.key);
    let Ok(version) = state.catalog_cache.version(&state.db).await else {
        return next.run(request).await;
    };
    let kept = match state.catalog_cache.lookup::<Arc<CachedPage>>(version, &key) {
        Some(page) => {
            // Of the current generation, so only its like counts can be old: it is served at once,
            // and the first request to find it too old renders its successor in the background.
            if page.claim_renewal(Instant::now(), Duration::from_secs(max_age)) {
                let visitor = as_visitor(&request);
                renew(state.clone(), key, visitor, next.clone(), page.clone());
            }
            Some(page)
        }
        None => {
            // After a catalog change every page misses at once: one request renders each of them.
            let _rendering = state.catalog_cache.lead_or_follow(&key).await;
            match state.catalog_cache.lookup::<Arc<CachedPage>>(version, &key) {
                Some(page) => Some(page),
                // Rendered without the request's cookies whatever they hold, so that no session the
                // session layer might find in them (a cookie this check did not read) reaches a
                // kept page. For a shopper with a session this is the visitor's page theirs is
                // made from; should it not be kept, theirs is rendered for them as any page is.
                None => {
                    match render_and_keep(&state, version, key, as_visitor(&request), next.clone())
                        .await
                    {
                        Ok((page, _)) => Some(page),
                        Err(response) if !with_session => return response,
                        Err(_) => None,
                    }
                }
            }
        }
    };
    match kept {
        Some(page) if !with_session => page.response(encoding),
        kept => {
            let mut request = request;
            if let Some(page) = kept {
                request.extensions_mut().insert(KeptPage(page));
            }
            next.run(request).await
        }
    }
}

/// The kept page a request with a session goes on with, from [`serve`] to [`personalise`].
#[derive(Clone)]
struct KeptPage(Arc<CachedPage>);

/// Renders the successor of a page that has grown old, in the background.
fn renew(state: AppState, key: Key, mut visitor: Request, next: Next, old: Arc<CachedPage>) {
    visitor.extensions_mut().insert(super::limits::Unmetered);
    tokio::spawn(async move {
        // Rendered at the version of now, so that a stock change elsewhere since this
        // request's read does not make the cache refuse the successor.
        let renewed = match state.catalog_cache.version(&state.db).await {
            Ok(now) => render_and_keep(&state, now, key, visitor, next).await,
            Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        };
        match renewed {
            Ok((_, true)) => {}
            // Not kept (the catalog moved on during rendering): the next request tries.
            Ok((_, false)) => old.refreshing.store(false, Ordering::Release),
            Err(response) => {
                tracing::warn!(status = %response.status(), "a shared page could not be renewed");
                old.refreshing.store(false, Ordering::Release);
            }
        }
    });
}

/// The request as a visitor without a session would make it: no cookies.
fn as_visitor(request: &Request) -> Request {
    let mut visitor = Request::new(Body::empty());
    *visitor.method_mut() = request.method().clone();
    *visitor.uri_mut() = request.uri().clone();
    *visitor.version_mut() = request.version();
    *visitor.headers_mut() = request.headers().clone();
    visitor.headers_mut().remove(COOKIE);
    *visitor.extensions_mut() = request.extensions().clone();
    visitor
}

/// The middleware inside the session layer: a shopper with a session asking for a page that is
/// kept gets it with their own parts put in, from one look at who they are, their cart's count and,
/// signed in, their hearts. Anything else, or any failure, is rendered for them.
pub async fn personalise(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(KeptPage(kept)) = request.extensions().get::<KeptPage>().cloned() else {
        return next.run(request).await;
    };
    let (Some(template), Some(session)) = (
        kept.personal.as_ref(),
        request.extensions().get::<tower_sessions::Session>(),
    ) else {
        return next.run(request).await;
    };
    let ip = request
        .extensions()
        .get::<super::client_ip::ClientIp>()
        .map(|client| client.ip.to_string())
        .unwrap_or_default();
    let personal = state
        .known_sessions
        .personal(&state, session, &ip, &template.products)
        .await;
    match personal {
        // The page that says a form's success is rendered, as only a browser's request takes the
        // note.
        Ok(personal)
            if !(personal.awaits_form_outcome && super::accepts_html(request.headers())) =>
        {
            kept.personal_response(template, &personal, accepted_encodings(request.headers()))
        }
        _ => next.run(request).await,
    }
}

/// Renders the page and, if it can be shared, offers it to the cache with whose stock its catalog
/// entries show: answers it and whether the cache kept it. Anything else comes back as it was.
async fn render_and_keep(
    state: &AppState,
    version: Version,
    key: Key,
    mut request: Request,
    next: Next,
) -> Result<(Arc<CachedPage>, bool), Response> {
    let contents = PageContents::default();
    let hearts = HeartsShown::default();
    request.extensions_mut().insert(contents.clone());
    request.extensions_mut().insert(hearts.clone());
    let response = next.run(request).await;
    if !is_shareable(&response) {
        return Err(response);
    }
    // A page whose rendering reached no catalog entry is not known to be free of stock.
    let shows = contents.shown().unwrap_or(Shown::unknown());
    let (parts, body) = response.into_parts();
    let Ok(html) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    // Compressing at a high level takes milliseconds: off the async threads.
    let kept = tokio::task::spawn_blocking({
        let headers = parts.headers.clone();
        let html = html.clone();
        move || keep(&headers, &html, hearts.take())
    })
    .await
    .ok()
    .flatten();
    match kept {
        Some(page) => {
            let page = Arc::new(page);
            let kept = state.catalog_cache.store(version, key, page.clone(), shows);
            Ok((page, kept))
        }
        None => {
            tracing::warn!("a rendered page could not be prepared for the page cache");
            Err(Response::from_parts(parts, Body::from(html)))
        }
    }
}

/// A page that can be kept: its key, and whether shoppers with a session can have it too.
struct SharedPage {
    key: String,
    /// False for the listing of a shopper's own liked products.
    for_everyone: bool,
}

/// Pages the cache may keep, declared by the feature that routes them (`inventory::submit!`
/// beside its routes), so that the cache names no route of its own.
pub struct Shareable {
    /// Whether `path` is one of these pages.
    pub path: fn(&str) -> bool,
    /// The page's query in the one form the shop writes it, and whether shoppers with a session
    /// may have the page; `None` when the query holds a parameter the page does not read.
    pub query: fn(&ParamsMap) -> Option<(String, bool)>,
}

inventory::collect!(Shareable);

/// Whether every parameter of `query` is one of `read`.
pub fn reads_only(query: &ParamsMap, read: &[&str]) -> bool {
    query
        .into_iter()
        .all(|(name, _)| read.contains(&name.as_ref()))
}

/// The key of a shareable page: its path and its query in the one form the shop writes it.
/// Parameters the page does not read (`utm_source`, say) make it unshared rather than multiply the
/// copies kept, and so do those of another kind (a form's `__err`).
fn page_of(request: &Request) -> Option<SharedPage> {
    if request.method() != axum::http::Method::GET {
        return None;
    }
    let path = request.uri().path();
    let shareable = inventory::iter::<Shareable>().find(|page| (page.path)(path))?;
    let query = request.uri().query().unwrap_or_default();
    if path.len() + query.len() > KEY_LIMIT {
        return None;
    }
    // Decoded exactly as the router decodes it for rendering, so one key is one page.
    let params: ParamsMap = form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let (query, for_everyone) = (shareable.query)(&params)?;
    Some(SharedPage {
        key: format!("{path}{query}"),
        for_everyone,
    })
}

/// Which of the encodings the shop keeps copies in a client accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accepted {
    pub brotli: bool,
    pub gzip: bool,
}

/// Reads `Accept-Encoding`: a coding counts unless its weight is 0 (or unreadable).
pub fn accepted_encodings(headers: &HeaderMap) -> Accepted {
    let mut accepted = Accepted::default();
    let codings = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for coding in codings {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let weight = parts
            .find_map(|param| {
                let (key, value) = param.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>())
            })
            .unwrap_or(Ok(1.0));
        if !matches!(weight, Ok(q) if q > 0.0) {
            continue;
        }
        if name.eq_ignore_ascii_case("br") {
            accepted.brotli = true;
        } else if name.eq_ignore_ascii_case("gzip") {
            accepted.gzip = true;
        }
    }
    accepted
}

/// Brotli when the client takes it, else gzip, else none.
pub fn preferred_encoding(headers: &HeaderMap) -> Encoding {
    match accepted_encodings(headers) {
        Accepted { brotli: true, .. } => Encoding::Brotli,
        Accepted { gzip: true, .. } => Encoding::Gzip,
        _ => Encoding::Identity,
    }
}

/// A complete HTML page that is the same for every visitor: 200, not compressed yet, no cookie set.
fn is_shareable(response: &Response) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && !headers.contains_key(SET_COOKIE)
        && !headers.contains_key(CONTENT_ENCODING)
        && headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"))
}

/// The page without its nonces, under a policy of its scripts' hashes, compressed, and cut where
/// the personal parts are (`hearts`: those it shows).
fn keep(headers: &HeaderMap, html: &[u8], hearts: Vec<personal::Heart>) -> Option<CachedPage> {
    let mut headers = headers.clone();
    let html = std::str::from_utf8(html).ok()?;
    let policy = headers.get(CONTENT_SECURITY_POLICY)?.to_str().ok()?;
    let nonce = policy
        .split_whitespace()
        .find_map(|source| source.strip_prefix("'nonce-")?.strip_suffix('\''))?;
    let html = html.replace(&format!(" nonce=\"{nonce}\""), "");
    let hashes: Vec<String> = inline_scripts(&html)
        .map(|script| {
            use base64::Engine;
            use sha2::Digest;
            let digest = sha2::Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = super::http::content_security_policy(&hashes.join(" "), false);
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&policy).ok()?,
    );
    headers.remove(CONTENT_LENGTH);
    headers.insert(VARY, HeaderValue::from_static("accept-encoding, cookie"));
    let personal =
        personal::find_parts(&html, hearts).and_then(|found| Template::new(&html, found));
    if personal.is_none() {
        tracing::warn!(
            "a shared page's personal parts could not be placed: shoppers with a session get it rendered"
        );
    }
    Some(CachedPage {
        made: Instant::now(),
        refreshing: AtomicBool::new(false),
        headers,
        brotli: compress_brotli(html.as_bytes())?,
        gzip: compress_gzip(html.as_bytes())?,
        plain: OnceLock::new(),
        personal,
    })
}

/// The text of each inline script the browser would run (JSON-LD and other data blocks are not).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (tag, rest) = rest.split_once('>')?;
        let (body, _) = rest.split_once("</script>")?;
        let data_block = tag.contains("type=\"application/");
        (!tag.contains("src=") && !data_block).then_some(body)
    })
}

/// Compressed once per page, so a higher level than the per-response compression is affordable.
fn compress_brotli(data: &[u8]) -> Option<Bytes> {
    let mut out = Vec::with_capacity(data.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        writer.write_all(data).ok()?;
    }
    Some(out.into())
}

fn compress_gzip(data: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::new(6),
    );
    encoder.write_all(data).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_executable_inline_scripts_are_hashed() {
        let html = r#"<script type="module">import('/pkg/a.js')</script>
            <script src="/pkg/b.js"></script><script type="application/ld+json">{"a":1}</script>
            <script>window.x=1</script>"#;
        let scripts: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(scripts, ["import('/pkg/a.js')", "window.x=1"]);
    }

    #[test]
    fn brotli_is_preferred_and_refusals_are_respected() {
        let accepting = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(accept).unwrap());
            preferred_encoding(&headers)
        };
        assert_eq!(accepting("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accepting("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(accepting("br;q=0.0, gzip;Q=0.5"), Encoding::Gzip);
        assert_eq!(accepting("identity"), Encoding::Identity);
        assert_eq!(accepting("gzip;q=0"), Encoding::Identity);
        assert_eq!(preferred_encoding(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn one_request_renews_a_page_once_it_is_old_and_another_after_a_failure() {
        let made = Instant::now();
        let page = CachedPage {
            made,
            refreshing: AtomicBool::new(false),
            headers: HeaderMap::new(),
            brotli: Bytes::new(),
            gzip: Bytes::new(),
            plain: OnceLock::new(),
            personal: None,
        };
        let max_age = Duration::from_secs(10);
        assert!(!page.claim_renewal(made + Duration::from_secs(9), max_age));
        assert!(page.claim_renewal(made + max_age, max_age));
        assert!(!page.claim_renewal(made + Duration::from_secs(11), max_age));
        // As `serve` does when the renewed page could not be kept.
        page.refreshing.store(false, Ordering::Release);
        assert!(page.claim_renewal(made + Duration::from_secs(12), max_age));
    }

    #[test]
    fn a_page_is_kept_once_whatever_form_its_query_takes() {
        let key = |uri: &str| {
            page_of(&Request::get(uri).body(Body::empty()).unwrap()).map(|page| page.key)
        };
        assert_eq!(key("/"), Some("/".to_owned()));
        assert_eq!(key("/?utm_source=mail"), None);
        assert_eq!(
            key("/products?sort=name&min_price=&category=lamps"),
            key("/products?category=lamps&sort=name")
        );
        assert_eq!(key("/p/mug?image=2"), Some("/p/mug?image=2".to_owned()));
        assert_eq!(key("/p/mug?__err=x&__path=y"), None);
        assert_eq!(key("/cart"), None);
        assert_eq!(key(&format!("/products?q={}", "a".repeat(600))), None);
        let for_everyone = |uri: &str| {
            page_of(&Request::get(uri).body(Body::empty()).unwrap()).map(|page| page.for_everyone)
        };
        assert_eq!(for_everyone("/products?sort=name"), Some(true));
        assert_eq!(for_everyone("/products?liked=true"), Some(false));
    }

    #[test]
    fn a_page_put_together_from_deflated_pieces_is_the_page() {
        use std::io::Read;
        let html = "<p>".to_owned() + &"shared text ".repeat(500) + "</p>";
        let pieces = [&html[..100], "", &html[100..]].map(|text| Piece::new(text).unwrap());
        let rendered = "<span>3 & <b>more</b></span>".repeat(3000);
        let chosen = [
            Chosen::Kept(&pieces[0]),
            Chosen::Rendered(rendered.clone()),
            Chosen::Kept(&pieces[1]),
            Chosen::Kept(&pieces[2]),
        ];
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(&gzip_of(&chosen)[..])
            .read_to_string(&mut unzipped)
            .unwrap();
        let expected = format!("{}{rendered}{}", &html[..100], &html[100..]);
        assert_eq!(unzipped, expected);
        assert_eq!(plain_of(&chosen), expected.as_bytes());
    }
}
