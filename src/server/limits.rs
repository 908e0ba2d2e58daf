//! Guards in front of every write: an Origin check against cross-site requests, and rate limits
//! per client IP (a tight one for authentication, a general one for all other writes), counted by
//! governor in memory, per process.
//!
//! What is a write follows from the method: a server function that only reads declares itself a
//! GET (`#[server(input = GetUrl)]`) and costs what a page does; every other one is a POST and a
//! write. The authorization matrix holds each function to what it declares.

use super::AppState;
use super::client_ip::{ClientIp, network_of};
use super::config::LimitSettings;
use super::jobs::{Job, Schedule};
use crate::error::AppError;
use axum::extract::{Extension, Request, State};
use axum::http::header::{
    ACCEPT, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, ORIGIN, RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Server functions under this prefix are the authentication endpoints.
pub const AUTH_PREFIX: &str = "/api/auth";
/// Server functions under this prefix are the back office's: staff writes there are counted
/// apart from the shoppers' (an office behind one address must not use up the shop's allowance),
/// against a limit of their own.
pub const MANAGE_PREFIX: &str = "/api/manage";

/// Whether a path is a server function's (every one is under `/api/`) rather than a page's.
pub fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Clients counted at once before old windows are swept.
const MAX_CLIENTS: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Auth,
    Write,
    /// A write to the back office.
    Staff,
    Render,
}

type Keyed<C> = governor::RateLimiter<
    IpAddr,
    governor::state::keyed::DefaultKeyedStateStore<IpAddr>,
    C,
    governor::middleware::NoOpMiddleware<<C as Clock>::Instant>,
>;

/// Requests per client, by kind: governor's keyed GCRA limiters, each allowing its whole limit at
/// once and giving it back evenly over its window.
pub struct RateLimiter<C: Clock = DefaultClock> {
    auth: Keyed<C>,
    write: Keyed<C>,
    staff: Keyed<C>,
    render: Keyed<C>,
    clock: C,
    /// When a full limiter was last swept, so a flood of addresses sweeps once a minute, not on
    /// every request.
    last_sweep: std::sync::Mutex<Option<std::time::Instant>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("auth_clients", &self.auth.len())
            .field("write_clients", &self.write.len())
            .field("staff_clients", &self.staff.len())
            .field("render_clients", &self.render.len())
            .finish()
    }
}

impl RateLimiter {
    pub fn new(limits: &LimitSettings) -> Self {
        Self::with_clock(limits, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    pub fn with_clock(limits: &LimitSettings, clock: C) -> Self {
        let keyed = |requests, minutes| {
            governor::RateLimiter::dashmap_with_clock(quota(requests, minutes), clock.clone())
        };
        RateLimiter {
            auth: keyed(limits.auth_requests, limits.auth_window_minutes),
            write: keyed(limits.write_requests, limits.write_window_minutes),
            staff: keyed(
                limits.staff_write_requests,
                limits.staff_write_window_minutes,
            ),
            render: keyed(limits.render_requests, limits.render_window_minutes),
            clock,
            last_sweep: std::sync::Mutex::new(None),
        }
    }

    /// Counts a request; when over the limit, answers how long until the next one is allowed.
    pub fn check(&self, kind: Kind, ip: IpAddr) -> Result<(), Duration> {
        let limiter = match kind {
            Kind::Auth => &self.auth,
            Kind::Write => &self.write,
            Kind::Staff => &self.staff,
            Kind::Render => &self.render,
        };
        if limiter.len() >= MAX_CLIENTS && self.may_sweep() {
            // A flood of addresses: forget those back at their full allowance, which keeps memory
            // to the clients still within their windows without letting any start afresh.
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&network_of(ip))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn may_sweep(&self) -> bool {
        let mut last = self
            .last_sweep
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        let due = last.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60));
        if due {
            *last = Some(now);
        }
        due
    }

    /// Forgets the clients back at their full allowance.
    fn forget_idle(&self) {
        for limiter in [&self.auth, &self.write, &self.staff, &self.render] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

inventory::submit! {
    Job {
        name: "forget idle rate-limit clients",
        schedule: Schedule::Every(|state| state.settings.sessions.cleanup_interval()),
        run: |state| Box::pin(async move { state.limiter.forget_idle() }),
    }
}

/// `requests` per `minutes`: all of them at once, then one more every `minutes / requests`.
fn quota(requests: u32, minutes: u64) -> Quota {
    let burst = NonZeroU32::new(requests).unwrap_or(NonZeroU32::MIN);
    let window = Duration::from_secs(minutes.max(1) * 60);
    // The period is at least a minute over 2^32 requests: never zero, which is all `with_period`
    // refuses.
    Quota::with_period(window / burst.get())
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

/// A write is same-origin when its Origin header is, scheme, host and port, the shop's public
/// origin (`PUBLIC_URL`) or this host as it is served (`https` with secure cookies, `http`
/// otherwise), so neither another site nor the plain-HTTP twin of an HTTPS shop can post. Browsers
/// that send no Origin still send Sec-Fetch-Site, and a request with neither is not from a browser
/// page at all.
pub fn is_same_origin(headers: &HeaderMap, public_url: &str, scheme: &str) -> bool {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    match headers.get(ORIGIN).map(|o| o.to_str()) {
        Some(Ok(origin)) => {
            origin.eq_ignore_ascii_case(origin_of(public_url))
                || host
                    .is_some_and(|host| origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
        }
        Some(Err(_)) => false,
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|site| site != "cross-site"),
    }
}

/// `scheme://host[:port]` of a URL, without any path.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    match url[after_scheme..].find('/') {
        Some(path) => &url[..after_scheme + path],
        None => url,
    }
}

pub async fn guard_writes(
    State(state): State<AppState>,
    Extension(ClientIp { ip: client, .. }): Extension<ClientIp>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let wants_html = request
        .headers()
        .get(ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    if !is_same_origin(request.headers(), &state.config.public_url, scheme) {
        tracing::warn!(path = %request.uri().path(), "cross-site write refused");
        return refusal(StatusCode::FORBIDDEN, AppError::Forbidden, wants_html, None);
    }
    let path = request.uri().path();
    let kind = if path.starts_with(AUTH_PREFIX) {
        Kind::Auth
    } else if path.starts_with(MANAGE_PREFIX) {
        Kind::Staff
    } else {
        Kind::Write
    };
    if let Err(retry_after) = state.limiter.check(kind, client) {
        tracing::warn!(?kind, ip = %client, "rate limit reached");
        return refusal(
            StatusCode::TOO_MANY_REQUESTS,
            AppError::too_many_requests(),
            wants_html,
            Some(retry_after),
        );
    }
    next.run(request).await
}

/// A page the shared page cache could not answer is rendered for its request, at a cost of
/// milliseconds of a core: each client gets `[limits] render_requests` of them per
/// `render_window_minutes`, so neither made-up searches nor a session cookie lets one client keep
/// every core busy. Layered on the page routes only, under the page cache, so a page it answers
/// costs nothing; its own renewals in the background ([`Unmetered`]) are not counted.
pub async fn guard_renders(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match render_refusal(&state, &request) {
        Some(refused) => refused,
        None => next.run(request).await,
    }
}

/// The refusal for a page request whose client has used up its renders, if it has; the fallback
/// that renders the not-found page asks too.
pub fn render_refusal(state: &AppState, request: &Request) -> Option<Response> {
    // The page routes carry the server functions too: writes have limits of their own, and a read
    // (a GET, by its declaration) costs what a page does.
    let write = is_server_fn(request.uri().path()) && request.method() != Method::GET;
    if write || request.extensions().get::<Unmetered>().is_some() {
        return None;
    }
    let client = request.extensions().get::<ClientIp>()?.ip;
    let retry_after = state.limiter.check(Kind::Render, client).err()?;
    tracing::warn!(kind = ?Kind::Render, ip = %client, "rate limit reached");
    Some(refusal(
        StatusCode::TOO_MANY_REQUESTS,
        AppError::too_many_requests(),
        true,
        Some(retry_after),
    ))
}

/// Marks a request the shop makes of itself (a shared page renewed in the background), which no
/// client's render limit pays for.
#[derive(Clone, Copy, Debug)]
pub struct Unmetered;

/// A plain form post gets a page; a server-function call gets the shop's error in its encoding.
fn refusal(
    status: StatusCode,
    error: AppError,
    wants_html: bool,
    retry_after: Option<Duration>,
) -> Response {
    let mut response = if wants_html {
        let (title, advice) = match status {
            StatusCode::TOO_MANY_REQUESTS => (
                "Too many requests",
                "You have sent a lot of requests in a short time. Please wait a few minutes, then go back and try again.",
            ),
            _ => (
                "Request refused",
                "This form was sent from another site, so the shop did not act on it. Go back to the shop and try again there.",
            ),
        };
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
             <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1c1917\">\
             <p style=\"color:#57534e\">{code}</p><h1>{title}</h1><p>{advice}</p><p><a href=\"/\">Back to the shop</a></p></body></html>",
            code = status.as_u16()
        );
        (
            status,
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (
                    CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
                ),
            ],
            page,
        )
            .into_response()
    } else {
        let body = serde_json::to_string(&error).unwrap_or_default();
        (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response()
    };
    if let Some(wait) = retry_after
        && let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
    {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn limiter() -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limits = LimitSettings {
            auth_requests: 3,
            auth_window_minutes: 15,
            write_requests: 5,
            write_window_minutes: 10,
            staff_write_requests: 4,
            staff_write_window_minutes: 10,
            render_requests: 2,
            render_window_minutes: 1,
        };
        (RateLimiter::with_clock(&limits, clock.clone()), clock)
    }

    #[test]
    fn counts_per_ip_and_kind_and_gives_back_over_the_window() {
        let (limiter, clock) = limiter();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(Kind::Auth, a).is_ok());
        }
        // Three per quarter of an hour: the next one in five minutes.
        let wait = limiter.check(Kind::Auth, a).unwrap_err();
        assert_eq!(wait, Duration::from_secs(5 * 60));
        assert!(
            limiter.check(Kind::Auth, b).is_ok(),
            "another IP has its own count"
        );
        assert!(
            limiter.check(Kind::Write, a).is_ok(),
            "writes have their own count"
        );
        assert!(
            limiter.check(Kind::Staff, a).is_ok(),
            "and the back office's writes theirs"
        );
        assert!(
            limiter.check(Kind::Render, a).is_ok() && limiter.check(Kind::Render, a).is_ok(),
            "so do rendered pages"
        );
        assert!(limiter.check(Kind::Render, a).is_err());
        let (v6a, v6b): (IpAddr, IpAddr) = (
            "2001:db8:1:2::1".parse().unwrap(),
            "2001:db8:1:2:ffff::9".parse().unwrap(),
        );
        for _ in 0..3 {
            assert!(limiter.check(Kind::Auth, v6a).is_ok());
        }
        assert!(
            limiter.check(Kind::Auth, v6b).is_err(),
            "one /64 is one client"
        );
        clock.advance(Duration::from_secs(5 * 60));
        assert!(limiter.check(Kind::Auth, a).is_ok(), "one given back");
        assert!(limiter.check(Kind::Auth, a).is_err());
        clock.advance(Duration::from_secs(15 * 60));
        for _ in 0..3 {
            assert!(limiter.check(Kind::Auth, a).is_ok(), "all given back");
        }
    }

    #[test]
    fn clients_back_at_their_full_allowance_are_forgotten() {
        let (limiter, clock) = limiter();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        limiter.check(Kind::Write, a).unwrap();
        assert_eq!(limiter.write.len(), 1);
        limiter.forget_idle();
        assert_eq!(limiter.write.len(), 1, "still owes a request");
        clock.advance(Duration::from_secs(10 * 60));
        limiter.forget_idle();
        assert_eq!(limiter.write.len(), 0);
    }

    #[test]
    fn cross_site_writes_are_recognised() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        let public = "https://shop.example";
        let same = |pairs, scheme| is_same_origin(&headers(pairs), public, scheme);
        assert!(same(
            &[("host", "shop.test"), ("origin", "https://shop.test")],
            "https"
        ));
        assert!(same(
            &[("host", "shop.test"), ("origin", "http://shop.test")],
            "http"
        ));
        assert!(
            !same(
                &[("host", "shop.test"), ("origin", "http://shop.test")],
                "https"
            ),
            "the plain-HTTP twin of an HTTPS shop"
        );
        assert!(
            !same(
                &[("host", "shop.test:443"), ("origin", "https://shop.test")],
                "https"
            ),
            "another port"
        );
        assert!(same(
            &[
                ("host", "internal:3000"),
                ("origin", "https://shop.example")
            ],
            "http"
        ));
        assert!(!same(
            &[("host", "shop.test"), ("origin", "https://evil.test")],
            "https"
        ));
        assert!(!same(
            &[
                ("host", "shop.test"),
                ("origin", "https://shop.test.evil.test")
            ],
            "https"
        ));
        assert!(!same(&[("host", "shop.test"), ("origin", "null")], "https"));
        assert!(!same(
            &[("host", "shop.test"), ("sec-fetch-site", "cross-site")],
            "https"
        ));
        assert!(same(
            &[("host", "shop.test"), ("sec-fetch-site", "same-origin")],
            "https"
        ));
        assert!(same(&[("host", "shop.test")], "https"));
        assert_eq!(
            origin_of("https://shop.example/base"),
            "https://shop.example"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }
}
